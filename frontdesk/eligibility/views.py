"""Eligibility screens: the panel included in the registration and check-in screens (htmx), a check's
detail with its benefits, the raw 271 download, the recent checks (failures first) and the batches.

Thin: services write (and audit), selectors read. Nothing a clearinghouse does breaks a page: a failed
check is shown with its reason and a retry button.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.eligibility import selectors, services
from frontdesk.eligibility.choices import BatchStatus


def _user(request: HttpRequest) -> Any:
    return request.user


# The event an htmx answer to a check (run or retried) raises on the page: the appointment's cost
# estimate beside it reloads with the new answer.
CHECKED_EVENT = "eligibility-checked"
# Sent with the eligibility panel: an estimate shown beside it loads only then, one request after
# the other (two panels loading at once on one page would each audit a read at the same moment).
PANEL_LOADED_EVENT = "eligibility-panel-loaded"


def _panel_response(
    request: HttpRequest, panel: selectors.Panel, error: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request, "eligibility/_panel.html", {"panel": panel, "error": error}, status=status
    )


def _checked(response: HttpResponse) -> HttpResponse:
    response["HX-Trigger"] = CHECKED_EVENT
    return response


@requires(A.ELIGIBILITY_CHECK)
@require_GET
def panel(request: HttpRequest, coverage_id: int) -> HttpResponse:
    """The eligibility panel of a coverage (for the appointment's date, else today)."""
    user = _user(request)
    try:
        coverage = selectors.coverage_get(user=user, coverage_id=coverage_id)
        appointment = selectors.appointment_for(
            user=user, coverage=coverage, appointment_id=request.GET.get("appointment")
        )
    except NotFound:
        raise Http404 from None
    response = _panel_response(
        request, selectors.panel_for(user=user, coverage=coverage, appointment=appointment)
    )
    response["HX-Trigger"] = PANEL_LOADED_EVENT
    return response


@requires(A.ELIGIBILITY_CHECK)
@require_POST
def check_run(request: HttpRequest, coverage_id: int) -> HttpResponse:
    """Run a check now; answers the panel (htmx) or goes to the check's page."""
    user = _user(request)
    try:
        coverage = selectors.coverage_get(user=user, coverage_id=coverage_id)
        appointment = selectors.appointment_for(
            user=user,
            coverage=coverage,
            appointment_id=request.GET.get("appointment") or request.POST.get("appointment"),
        )
    except NotFound:
        raise Http404 from None
    error = ""
    try:
        check = services.eligibility_check(
            actor=user,
            coverage=coverage,
            appointment=appointment,
            date_of_service=None if appointment is not None else _today(),
        )
    except DomainError as exc:
        error = exc.message
        check = None
    if not request.headers.get("HX-Request") and check is not None:
        return redirect("eligibility:check", check_id=check.pk)
    return _checked(
        _panel_response(
            request,
            selectors.panel_for(user=user, coverage=coverage, appointment=appointment, audit=False),
            error,
        )
    )


def _today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


@requires(A.ELIGIBILITY_CHECK)
@require_POST
def check_retry(request: HttpRequest, check_id: int) -> HttpResponse:
    user = _user(request)
    try:
        check = selectors.check_get(user=user, check_id=check_id, audit=False)
    except NotFound:
        raise Http404 from None
    check = services.eligibility_retry(actor=user, check=check)
    if request.headers.get("HX-Request"):
        coverage = selectors.coverage_get(user=user, coverage_id=check.coverage_id)
        appointment = None
        if check.appointment_id is not None:
            try:
                appointment = selectors.appointment_for(
                    user=user, coverage=coverage, appointment_id=check.appointment_id
                )
            except NotFound:
                appointment = None
        return _checked(
            _panel_response(
                request,
                selectors.panel_for(
                    user=user,
                    coverage=coverage,
                    appointment=appointment,
                    today=check.date_of_service,
                    audit=False,
                ),
            )
        )
    return redirect("eligibility:check", check_id=check.pk)


@requires(A.ELIGIBILITY_CHECK)
@require_GET
def check_detail(request: HttpRequest, check_id: int) -> HttpResponse:
    user = _user(request)
    try:
        check = selectors.check_get(user=user, check_id=check_id)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "eligibility/check.html",
        {
            "check": check,
            "summary": selectors.summary_of(check) if check.is_answered else None,
            "groups": selectors.benefits_by_service_type(check),
        },
    )


@requires(A.ELIGIBILITY_CHECK)
@require_GET
def check_raw(request: HttpRequest, check_id: int) -> HttpResponse:
    """The 271 as received (an audited export), as a download."""
    user = _user(request)
    try:
        check = selectors.check_get(user=user, check_id=check_id, audit=False)
    except NotFound:
        raise Http404 from None
    if not check.response_x12:
        raise Http404
    content = selectors.raw_271_read(user=user, check=check)
    response = HttpResponse(content, content_type="application/edi-x12")
    response["Content-Disposition"] = f'attachment; filename="eligibility-{check.pk}-271.x12"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@requires(A.ELIGIBILITY_CHECK)
@require_GET
def check_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "eligibility/checks.html",
        {"checks": selectors.check_list(user=user), "can_batch": user.can(A.ELIGIBILITY_BATCH)},
    )


@requires(A.ELIGIBILITY_BATCH)
@require_http_methods(["GET", "POST"])
def batches(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        batch = services.batch_start(actor=user)
        return redirect("eligibility:batch", batch_id=batch.pk)
    return render(
        request,
        "eligibility/batches.html",
        {"batches": selectors.batch_list(user=user), "days": services.batch_days()},
    )


@requires(A.ELIGIBILITY_BATCH)
@require_GET
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    user = _user(request)
    try:
        batch = selectors.batch_get(user=user, batch_id=batch_id)
    except NotFound:
        raise Http404 from None
    finished = batch.status in (BatchStatus.DONE, BatchStatus.FAILED)
    context = {"batch": batch, "finished": finished}
    if request.headers.get("HX-Request"):
        return render(request, "eligibility/_batch_progress.html", context)
    context["failures"] = selectors.batch_failures(user=user, batch=batch) if finished else []
    return render(request, "eligibility/batch.html", context)


# --- estimates ------------------------------------------------------------------------------------


def _estimate_input(request: HttpRequest) -> tuple[str, dt.date, bool, dict[str, list[str]]]:
    text = (request.GET.get("services") or "").strip()[:500]
    errors: dict[str, list[str]] = {}
    on = _today()
    raw_date = (request.GET.get("date") or "").strip()
    if raw_date:
        try:
            on = dt.date.fromisoformat(raw_date)
        except ValueError:
            errors["date"] = ["Enter the date as YYYY-MM-DD."]
    return text, on, request.GET.get("self_pay") == "1", errors


@requires(A.ESTIMATE_CREATE)
@require_GET
def estimate(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A patient cost estimate for a planned visit (a GET form: nothing is written but the audit)."""
    from frontdesk.eligibility import estimates

    user = _user(request)
    try:
        patient = selectors.patient_get(user=user, patient_id=patient_id, action=A.ESTIMATE_CREATE)
    except NotFound:
        raise Http404 from None
    text, on, self_pay, errors = _estimate_input(request)
    result = None
    if text and not errors:
        try:
            planned = estimates.parse_services(text)
            result = estimates.estimate_for_visit(
                user=user, patient=patient, services=planned, on=on, self_pay=self_pay
            )
        except DomainError as exc:
            errors = exc.fields or {"services": [exc.message]}
    return render(
        request,
        "eligibility/estimate.html",
        {
            "patient": patient,
            "services": text,
            "on": on,
            "self_pay": self_pay,
            "errors": errors,
            "result": result,
        },
        status=400 if errors else 200,
    )


@requires(A.ESTIMATE_CREATE)
@require_GET
def appointment_estimate(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The estimate panel of an appointment (htmx, in the scheduling and check-in screens): its type's
    planned codes priced for the patient's coverage and latest eligibility answer. ``?beside=
    eligibility``: the eligibility panel is on the same screen (it runs the checks)."""
    from frontdesk.eligibility import estimates

    user = _user(request)
    try:
        appointment = selectors.appointment_for_estimate(user=user, appointment_id=appointment_id)
    except NotFound:
        raise Http404 from None
    result = estimates.estimate_for_appointment(user=user, appointment=appointment)
    beside = request.GET.get("beside") == "eligibility"
    return render(
        request,
        "eligibility/_appointment_estimate.html",
        {
            "result": result,
            "a": appointment,
            "patient": appointment.patient,
            # Beside the eligibility panel (check-in) its own button runs the check; elsewhere
            # (scheduling) the estimate offers one. Either way the answer reloads the estimate.
            "can_check": user.can(A.ELIGIBILITY_CHECK) and not beside,
            "reload_url": reverse("eligibility:appointment_estimate", args=[appointment.pk])
            + ("?beside=eligibility" if beside else ""),
            "checked_event": CHECKED_EVENT,
        },
    )


@requires(A.ESTIMATE_CREATE)
@require_GET
def good_faith_estimate(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The printable Good Faith Estimate of a self-pay visit (audited as a print)."""
    from frontdesk.eligibility import estimates
    from frontdesk.practice.models import Location, Provider

    user = _user(request)
    text, on, _self_pay, errors = _estimate_input(request)
    locations = Location.objects.restrict(user, A.ESTIMATE_CREATE).select_related("organization")
    location = locations.filter(is_active=True).order_by("name", "pk").first()
    planned = None
    if text and not errors and location is not None:
        try:
            planned = estimates.parse_services(text)
        except DomainError:
            planned = None
    if planned is None:
        # Nothing to print yet: the estimate form (with what was given) says what is missing (it
        # reads, and audits, the patient itself).
        return estimate(request, patient_id=patient_id)
    try:
        patient = selectors.patient_get(user=user, patient_id=patient_id, action=A.ESTIMATE_CREATE)
    except NotFound:
        raise Http404 from None
    provider = None
    if (request.GET.get("provider") or "").isdigit():
        provider = (
            Provider.objects.restrict(user, A.PRACTICE_VIEW)
            .filter(pk=int(request.GET["provider"]))
            .first()
        )
    visit = estimates.estimate_for_visit(
        user=user,
        patient=patient,
        services=planned,
        on=on,
        self_pay=True,
        event="good_faith_estimate_printed",
    )
    diagnoses = [
        code.strip().upper()
        for code in (request.GET.get("diagnoses") or "").split(",")
        if code.strip()
    ][:12]
    gfe = estimates.good_faith_estimate(
        visit=visit,
        location=location,
        provider=provider,
        description=(request.GET.get("description") or "").strip()[:200],
        diagnosis_codes=diagnoses,
    )
    return render(request, "eligibility/gfe.html", {"gfe": gfe, "patient": patient})
