"""Billing screens: the day's encounters -> charge entry; the claims worklist and claim detail (scrub,
corrected/void); batches (build and send); acknowledgment import.

Thin: selectors read (scoped, audited), services write; domain errors come back beside their fields
(422 invalid, 409 conflict, 403 not allowed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.billing import ack_services, adapters, batch_services, selectors, services
from frontdesk.billing.choices import ClaimStatus
from frontdesk.billing.forms import (
    DIAGNOSIS_ROWS,
    LINE_ROWS,
    AckImportForm,
    ReasonForm,
    charge_entry_input,
)
from frontdesk.core.errors import Conflict, DomainError, PermissionDenied
from frontdesk.practice.models import Location, Organization, Payer, Provider


def _user(request: HttpRequest) -> Any:
    return request.user


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _status(exc: DomainError) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, Conflict):
        return 409
    return 422


def _errors_of(exc: DomainError) -> dict[str, list[str]]:
    fields = dict(exc.fields)
    if not fields:
        fields["general"] = [exc.message]
    return fields


# --- the day's encounters and charge entry -----------------------------------------------------


@requires(A.CHARGE_ENTER)
@require_GET
def encounters(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    locations = Location.objects.restrict(user, A.CHARGE_ENTER).filter(is_active=True)
    pk = _int(request.GET.get("location"))
    location = (locations.filter(pk=pk).first() if pk else None) or locations.first()
    day = timezone.localdate()
    visits: list[Any] = []
    if location is not None:
        day = timezone.now().astimezone(location.tzinfo).date()
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(str(request.GET.get("date", "")))
        visits = selectors.day_visits(user=user, location=location, day=day)
    return render(
        request,
        "billing/encounters.html",
        {
            "locations": locations,
            "location": location,
            "day": day,
            "visits": visits,
            "enterable": services.ENTERABLE_STATUSES,
            "can_post": user.can(A.CHARGE_POST),
        },
    )


def _entry_context(appointment: Any, data: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    favourites = selectors.favourite_codes(appointment.provider)
    service_date = services.appointment_service_date(appointment)
    coverage = services.coverage_on(appointment.patient, service_date)
    procedures = [f for f in favourites if f.kind == "procedure"]
    diagnoses = [f for f in favourites if f.kind == "diagnosis"]
    return {
        "appointment": appointment,
        "patient": appointment.patient,
        "service_date": service_date,
        "coverage": coverage,
        "favourite_procedures": procedures,
        "favourite_diagnoses": diagnoses,
        "diagnosis_rows": [
            (n, data.get(f"diagnosis_{n}", ""), errors.get(f"diagnosis_{n}", []))
            for n in range(1, DIAGNOSIS_ROWS + 1)
        ],
        "line_rows": [
            {
                "n": n,
                "procedure_code": data.get(f"line_{n}_procedure_code", ""),
                "modifiers": data.get(f"line_{n}_modifiers", ""),
                "units": data.get(f"line_{n}_units", "1"),
                "charge": data.get(f"line_{n}_charge", ""),
                "pointers": data.get(f"line_{n}_pointers", "1" if n == 1 else ""),
                "errors": [
                    message
                    for key in ("procedure_code", "modifiers", "units", "charge", "pointers")
                    for message in errors.get(f"line_{n}_{key}", [])
                ],
            }
            for n in range(1, LINE_ROWS + 1)
        ],
        "providers": Provider.objects.filter(is_active=True).order_by("last_name", "first_name"),
        "organizations": Organization.objects.order_by("name"),
        "pos_codes": sorted(adapters.place_of_service_codes().items()),
        "selected_provider": _int(data.get("rendering_provider")) or appointment.provider_id,
        "selected_organization": _int(data.get("billing_organization"))
        or appointment.location.organization_id,
        "selected_pos": data.get("place_of_service") or appointment.location.place_of_service,
        "errors": errors,
    }


@requires(A.CHARGE_ENTER)
@require_http_methods(["GET", "POST"])
def charge_entry(request: HttpRequest, appointment_id: int) -> HttpResponse:
    user = _user(request)
    appointment = selectors.appointment_for_charges(user=user, pk=appointment_id)
    if appointment is None:
        raise Http404
    existing = getattr(appointment, "billing_encounter", None)
    if request.method == "GET":
        if existing is not None:
            return redirect("billing:encounter", encounter_id=existing.pk)
        return render(request, "billing/charge_entry.html", _entry_context(appointment, {}, {}))
    try:
        encounter = services.encounter_save(
            actor=user, appointment=appointment, data=charge_entry_input(request.POST)
        )
    except DomainError as exc:
        context = _entry_context(appointment, request.POST, _errors_of(exc))
        return render(request, "billing/charge_entry.html", context, status=_status(exc))
    messages.success(request, "Charges saved.")
    return redirect("billing:encounter", encounter_id=encounter.pk)


@requires(A.CHARGE_ENTER)
@require_GET
def encounter(request: HttpRequest, encounter_id: int) -> HttpResponse:
    user = _user(request)
    row = selectors.encounter_get(user=user, pk=encounter_id)
    if row is None:
        raise Http404
    claims = list(row.claims.order_by("pk")) if user.can(A.CLAIM_VIEW) else []
    return render(
        request,
        "billing/encounter.html",
        {
            "encounter": row,
            "lines": list(row.lines.all()),
            "diagnoses": [adapters.with_dot(c) for c in row.diagnoses],
            "claims": claims,
            "can_post": user.can(A.CHARGE_POST),
        },
    )


@requires(A.CHARGE_POST)
@require_POST
def encounter_post(request: HttpRequest, encounter_id: int) -> HttpResponse:
    user = _user(request)
    row = selectors.encounter_get(user=user, pk=encounter_id)
    if row is None:
        raise Http404
    try:
        services.encounter_post(actor=user, encounter=row)
        messages.success(request, "Charges posted to the patient's account.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("billing:encounter", encounter_id=row.pk)


@requires(A.CHARGE_ENTER)
@require_GET
def icd10_search(request: HttpRequest) -> HttpResponse:
    """htmx: the options of the diagnosis inputs' shared datalist for what was typed."""
    query = str(request.GET.get("q", ""))
    if not query:
        query = next(
            (
                str(v)
                for k, v in request.GET.items()
                if k.startswith("diagnosis_") and str(v).strip()
            ),
            "",
        )
    hits = adapters.icd10_search(query[:40], limit=20) if len(query.strip()) >= 2 else []
    return render(request, "billing/_icd10_options.html", {"hits": hits})


# --- claims ------------------------------------------------------------------------------------


@requires(A.CLAIM_VIEW)
@require_GET
def claims(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    status = request.GET.get("status", "")
    if status not in ClaimStatus.values:
        status = ""
    payer_id = _int(request.GET.get("payer"))
    rows = selectors.claim_list(user=user, status=status, payer_id=payer_id)
    return render(
        request,
        "billing/claims.html",
        {
            "claims": rows,
            "status": status,
            "payer_id": payer_id,
            "statuses": ClaimStatus.choices,
            "payers": Payer.objects.order_by("name"),
            "counts": selectors.claim_counts(user=user),
        },
    )


@requires(A.CLAIM_VIEW)
@require_GET
def claim(request: HttpRequest, claim_id: int) -> HttpResponse:
    user = _user(request)
    row = selectors.claim_get(user=user, pk=claim_id)
    if row is None:
        raise Http404
    return render(
        request,
        "billing/claim.html",
        {
            "claim": row,
            "lines": list(row.lines.all()),
            "diagnoses": [adapters.with_dot(c) for c in row.diagnoses],
            "findings": list(row.findings.all()),
            "events": list(row.events.all()),
            "replacements": list(row.replacements.all()),
            "can_submit": user.can(A.CLAIM_SUBMIT),
            "can_scrub": user.can(A.CLAIM_SUBMIT) and row.status in services.SCRUBBABLE,
            "can_edit": user.can(A.CLAIM_SUBMIT) and row.status in services.SCRUBBABLE,
            "can_replace": user.can(A.CLAIM_SUBMIT) and row.status in services.REPLACEABLE,
            "reason_form": ReasonForm(),
        },
    )


def _claim_or_404(request: HttpRequest, claim_id: int, action: str) -> Any:
    from frontdesk.billing.models import Claim

    row = Claim.objects.restrict(_user(request), action).filter(pk=claim_id).first()
    if row is None:
        raise Http404
    return row


@requires(A.CLAIM_SUBMIT)
@require_POST
def claim_scrub(request: HttpRequest, claim_id: int) -> HttpResponse:
    row = _claim_or_404(request, claim_id, A.CLAIM_VIEW)
    try:
        findings = services.claim_scrub(actor=_user(request), claim=row)
        errors = sum(1 for f in findings if f.severity == "error")
        messages.success(
            request,
            f"Scrubbed: {errors} error(s), {len(findings) - errors} warning(s).",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("billing:claim", claim_id=row.pk)


def _replace(request: HttpRequest, claim_id: int, void: bool) -> HttpResponse:
    row = _claim_or_404(request, claim_id, A.CLAIM_SUBMIT)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason.")
        return redirect("billing:claim", claim_id=row.pk)
    action = services.claim_void if void else services.claim_correct
    try:
        new = action(actor=_user(request), claim=row, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("billing:claim", claim_id=row.pk)
    messages.success(request, f"{'Void' if void else 'Corrected'} claim {new.claim_id} created.")
    return redirect("billing:claim", claim_id=new.pk)


@requires(A.CLAIM_SUBMIT)
@require_POST
def claim_line(request: HttpRequest, claim_id: int, line_number: int) -> HttpResponse:
    """Correct one line of a claim not yet sent (a held claim, a corrected claim) and re-scrub."""
    from frontdesk.billing.forms import parse_pointers, split_words

    row = _claim_or_404(request, claim_id, A.CLAIM_SUBMIT)
    try:
        services.claim_line_update(
            actor=_user(request),
            claim=row,
            line_number=line_number,
            procedure_code=str(request.POST.get("procedure_code", "")),
            modifiers=tuple(split_words(str(request.POST.get("modifiers", "")))),
            units=str(request.POST.get("units", "1")),
            pointers=parse_pointers(str(request.POST.get("pointers", ""))),
        )
        messages.success(request, f"Line {line_number} saved and the claim scrubbed again.")
    except DomainError as exc:
        problems = [m for messages_ in _errors_of(exc).values() for m in messages_]
        messages.error(request, " ".join(problems))
    return redirect("billing:claim", claim_id=row.pk)


@requires(A.CLAIM_SUBMIT)
@require_POST
def claim_correct(request: HttpRequest, claim_id: int) -> HttpResponse:
    return _replace(request, claim_id, void=False)


@requires(A.CLAIM_SUBMIT)
@require_POST
def claim_void(request: HttpRequest, claim_id: int) -> HttpResponse:
    return _replace(request, claim_id, void=True)


# --- batches and acknowledgments ---------------------------------------------------------------


@requires(A.CLAIM_VIEW)
@require_http_methods(["GET", "POST"])
def batches(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        if not user.can(A.CLAIM_SUBMIT):
            raise Forbidden
        payer = None
        payer_pk = _int(request.POST.get("payer"))
        if payer_pk:
            payer = Payer.objects.filter(pk=payer_pk).first()
            if payer is None:
                raise Http404
        try:
            result = batch_services.claims_send(actor=user, payer=payer)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            count = sum(b.claim_count for b in result.built.batches)
            if result.sent:
                messages.success(request, f"Sent {count} claim(s) to the clearinghouse.")
            else:
                messages.error(request, f"The batch was not sent: {result.error}")
        return redirect("billing:batches")
    return render(
        request,
        "billing/batches.html",
        {
            "ready": selectors.ready_summary(user=user),
            "batches": selectors.batch_list(user=user),
            "can_submit": user.can(A.CLAIM_SUBMIT),
        },
    )


@requires(A.REMITTANCE_POST)
@require_http_methods(["GET", "POST"])
def acks_import(request: HttpRequest) -> HttpResponse:
    result = None
    error = ""
    form = AckImportForm()
    if request.method == "POST":
        form = AckImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > 20 * 1024 * 1024:
                error = "The file is larger than 20 MB."
            else:
                try:
                    result = ack_services.acks_import(actor=_user(request), data=upload.read())
                except DomainError as exc:
                    error = exc.message
    status = 422 if error else 200
    return render(
        request,
        "billing/acks.html",
        {"form": form, "result": result, "error": error},
        status=status,
    )


# --- payer claim settings ---------------------------------------------------------------------------


@requires(A.CLAIM_VIEW)
@require_http_methods(["GET", "POST"])
def payer_settings(request: HttpRequest) -> HttpResponse:
    """Each payer's timely-filing window (the scrubber holds claims past it); a biller who sends
    claims may set a payer's own window or go back to the default for its type."""
    user = _user(request)
    can_edit = user.can(A.CLAIM_SUBMIT)
    errors: dict[int, str] = {}
    if request.method == "POST":
        if not can_edit:
            raise Forbidden
        payer_pk = _int(request.POST.get("payer"))
        payer = Payer.objects.filter(pk=payer_pk).first() if payer_pk else None
        if payer is None:
            raise Http404
        raw = str(request.POST.get("days", "")).strip()
        days = None if request.POST.get("action") == "default" else _int(raw)
        if request.POST.get("action") != "default" and days is None:
            errors[payer.pk] = "Enter the number of days (1 to 3650) from the date of service."
        else:
            try:
                services.payer_timely_filing_set(actor=user, payer_id=payer.pk, days=days)
            except DomainError as exc:
                errors[payer.pk] = exc.message
            else:
                messages.success(
                    request,
                    f"{payer.name}: claims are due within {days} days of the date of service."
                    if days is not None
                    else f"{payer.name}: back to the default window for its payer type.",
                )
                return redirect("billing:payer_settings")
    return render(
        request,
        "billing/payer_settings.html",
        {
            "rows": [
                {**row, "error": errors.get(row["payer"].pk, "")}
                for row in selectors.payer_filing_windows()
            ],
            "can_edit": can_edit,
        },
        status=400 if errors else 200,
    )
