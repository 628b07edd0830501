"""Printing screens: the Print page (day schedules and single encounter forms as PDF downloads;
the whole day's forms as a background batch with a progress page), the encounter-form code setup
for the practice manager, and the downtime packet's status and download.

Thin: selectors scope and load, ``printouts`` draws and audits, services validate and write.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.core.queryset import get_restricted
from frontdesk.practice.models import Location, Provider
from frontdesk.printing import batch_services, downtime, printouts, selectors, services
from frontdesk.printing.choices import CodeSectionKind
from frontdesk.printing.forms import EncounterFormConfigForm
from frontdesk.printing.models import EncounterFormConfig
from frontdesk.scheduling.grid import patient_short


def _user(request: HttpRequest) -> Any:
    return request.user


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _location(request: HttpRequest, raw: Any, *, default_first: bool = False) -> Location:
    scoped = selectors.printable_locations(user=_user(request))
    pk = _int(raw)
    location = scoped.filter(pk=pk).first() if pk is not None else None
    if location is None and default_first and raw in (None, ""):
        location = scoped.first()
    if location is None:
        raise Http404
    return location


def _date(raw: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        return None


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _bad_request(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


# --- the Print page and its PDFs -----------------------------------------------------------------


@requires(A.FORMS_PRINT)
@require_GET
def print_page(request: HttpRequest) -> HttpResponse:
    """Pick a location and a date (default: tomorrow), then print schedules or encounter forms."""
    user = _user(request)
    location = _location(request, request.GET.get("location"), default_first=True)
    today = timezone.now().astimezone(location.tzinfo).date()
    day = _date(request.GET.get("date")) or today + dt.timedelta(days=1)
    appointments = selectors.appointments_to_print(user=user, location=location, day=day)
    providers: dict[int, dict[str, Any]] = {}
    for appointment in appointments:
        row = providers.setdefault(
            appointment.provider_id, {"provider": appointment.provider, "count": 0}
        )
        row["count"] += 1
    rows = [
        {
            "appointment": a,
            "time": a.starts_at.astimezone(location.tzinfo),
            "patient": patient_short(a.patient),
        }
        for a in appointments
    ]
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        object_type="appointment",
        detail={
            "view": "print_page",
            "location_id": location.pk,
            "date": day.isoformat(),
            "results": len(rows),
        },
    )
    return render(
        request,
        "printing/print.html",
        {
            "location": location,
            "locations": selectors.printable_locations(user=user),
            "day": day,
            "rows": rows,
            "providers": list(providers.values()),
            "can_configure": user.can(A.PRACTICE_MANAGE),
            "can_see_downtime": user.can(A.PRACTICE_VIEW),
            "batches": selectors.encounter_form_batch_list_recent(user=user, location=location),
        },
    )


def _pdf_inputs(request: HttpRequest) -> tuple[Location, dt.date] | HttpResponse:
    day = _date(request.GET.get("date"))
    if _int(request.GET.get("location")) is None or day is None:
        return _bad_request("Give a location and a date (YYYY-MM-DD).")
    return _location(request, request.GET.get("location")), day


@requires(A.FORMS_PRINT)
@require_GET
def schedule_pdf(request: HttpRequest) -> HttpResponse:
    """The location's day schedule (every provider, or ``provider=``), as a download."""
    inputs = _pdf_inputs(request)
    if isinstance(inputs, HttpResponse):
        return inputs
    location, day = inputs
    provider_id = None
    if request.GET.get("provider"):
        try:
            provider = get_restricted(
                Provider.objects.all(), _user(request), A.FORMS_PRINT, pk=request.GET["provider"]
            )
        except NotFound:
            raise Http404 from None
        provider_id = provider.pk
    document = printouts.location_schedule_pdf(
        user=_user(request), location=location, day=day, provider_id=provider_id
    )
    suffix = f"-provider-{provider_id}" if provider_id else ""
    return _pdf_response(document.content, f"schedule-{location.pk}-{day.isoformat()}{suffix}.pdf")


@requires(A.FORMS_PRINT)
@require_GET
def encounter_forms_pdf(request: HttpRequest) -> HttpResponse:
    """One appointment's encounter form (``appointment=``), as a download.

    The whole day's forms are a background batch (``batch_create``): drawing hundreds of forms
    does not fit in a request.
    """
    inputs = _pdf_inputs(request)
    if isinstance(inputs, HttpResponse):
        return inputs
    location, day = inputs
    appointment_id = _int(request.GET.get("appointment"))
    if appointment_id is None:
        return _bad_request(
            "Give an appointment id; print the whole day's forms from the Print page."
        )
    document = printouts.encounter_forms_pdf(
        user=_user(request), location=location, day=day, appointment_id=appointment_id
    )
    if not document.appointment_ids:
        raise Http404
    return _pdf_response(
        document.content,
        f"encounter-forms-{location.pk}-{day.isoformat()}-appointment-{appointment_id}.pdf",
    )


# --- the whole day's encounter forms, built in the background ------------------------------------


@requires(A.FORMS_PRINT)
@require_POST
def batch_create(request: HttpRequest) -> HttpResponse:
    """Ask for the whole day's encounter forms of a location; follow them on the progress page."""
    day = _date(request.POST.get("date"))
    if _int(request.POST.get("location")) is None or day is None:
        return _bad_request("Give a location and a date (YYYY-MM-DD).")
    location = _location(request, request.POST.get("location"))
    try:
        batch = batch_services.encounter_form_batch_request(
            actor=_user(request), location=location, day=day
        )
    except NotFound:
        raise Http404 from None
    return redirect("printing:batch", pk=batch.pk)


@requires(A.FORMS_PRINT)
@require_GET
def batch_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress of a batch (htmx polls the status block until it is ready), then its download."""
    batch = selectors.encounter_form_batch_get(user=_user(request), pk=pk)
    if batch is None:
        raise Http404
    context = {"batch": batch, "expired": batch.expires_at <= timezone.now()}
    if getattr(request, "htmx", False):
        return render(request, "printing/_batch_status.html", context)
    return render(request, "printing/batch.html", context)


@requires(A.FORMS_PRINT)
@require_GET
def batch_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch's PDF (decrypted from storage); every download is audited as a print."""
    user = _user(request)
    batch = selectors.encounter_form_batch_get(user=user, pk=pk)
    if batch is None:
        raise Http404
    try:
        content = batch_services.encounter_form_batch_content(actor=user, batch=batch)
    except batch_services.BatchError as exc:
        status = 410 if exc.code in ("batch_expired", "batch_unreadable") else 409
        return HttpResponse(exc.message, status=status, content_type="text/plain; charset=utf-8")
    return _pdf_response(
        content, f"encounter-forms-{batch.location_id}-{batch.day.isoformat()}.pdf"
    )


# --- encounter-form setup (practice manager) -----------------------------------------------------


@requires(A.PRACTICE_MANAGE)
@require_GET
def config_list(request: HttpRequest) -> HttpResponse:
    configs = selectors.encounter_form_config_list(user=_user(request))
    rows = [
        {"config": c, "codes": sum(len(s.get("codes", [])) for s in c.sections)} for c in configs
    ]
    return render(request, "printing/config_list.html", {"rows": rows})


@requires(A.PRACTICE_MANAGE)
@require_http_methods(["GET", "POST"])
def config_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _user(request)
    config: EncounterFormConfig | None = None
    if pk is not None:
        try:
            config = get_restricted(
                EncounterFormConfig.objects.all(), user, A.PRACTICE_MANAGE, pk=pk
            )
        except NotFound:
            raise Http404 from None
    if request.method == "GET":
        initial: dict[str, Any] = {}
        if config is not None:
            initial = {
                "provider": config.provider_id,
                "specialty": config.specialty,
                "procedures": services.sections_as_text(
                    config.sections, kind=CodeSectionKind.PROCEDURE
                ),
                "diagnoses": services.sections_as_text(
                    config.sections, kind=CodeSectionKind.DIAGNOSIS
                ),
            }
        form = EncounterFormConfigForm(initial=initial)
        return render(request, "printing/config_form.html", {"form": form, "config": config})
    form = EncounterFormConfigForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.encounter_form_config_save(
                actor=user,
                config=config,
                provider=data["provider"],
                specialty=data["specialty"],
                procedures_text=data["procedures"],
                diagnoses_text=data["diagnoses"],
            )
        except DomainError as exc:
            for field, problems in (exc.fields or {"__all__": [exc.message]}).items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, "Encounter form saved.")
            return redirect("printing:config_list")
    return render(
        request, "printing/config_form.html", {"form": form, "config": config}, status=422
    )


@requires(A.PRACTICE_MANAGE)
@require_POST
def config_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        config = get_restricted(
            EncounterFormConfig.objects.all(), _user(request), A.PRACTICE_MANAGE, pk=pk
        )
    except NotFound:
        raise Http404 from None
    services.encounter_form_config_delete(actor=_user(request), config=config)
    messages.success(request, "Encounter form removed.")
    return redirect("printing:config_list")


# --- downtime packet -----------------------------------------------------------------------------


@requires(A.PRACTICE_VIEW)
@require_GET
def downtime_page(request: HttpRequest) -> HttpResponse:
    """When the newest packet was written, how many appointments it holds, and whether it is stale."""
    user = _user(request)
    status = downtime.packet_status()
    locations = []
    if user.can(A.DOWNTIME_DOWNLOAD) and status.manifest is not None:
        allowed = {loc.pk: loc for loc in Location.objects.restrict(user, A.DOWNTIME_DOWNLOAD)}
        for entry in status.manifest.get("packets", []):
            location = allowed.get(entry.get("location_id"))
            if location is not None:
                locations.append({"location": location, "count": entry.get("appointment_count", 0)})
    return render(
        request,
        "printing/downtime.html",
        {
            "status": status,
            "interval_minutes": int(status.interval.total_seconds() // 60),
            "locations": locations,
        },
    )


@requires(A.DOWNTIME_DOWNLOAD)
@require_GET
def downtime_download(request: HttpRequest) -> HttpResponse:
    """The newest encrypted packet of one location (``location=``); audited as an export."""
    user = _user(request)
    location = _location(request, request.GET.get("location"))
    if not Location.objects.restrict(user, A.DOWNTIME_DOWNLOAD).filter(pk=location.pk).exists():
        raise Http404
    try:
        path, entry = downtime.packet_file(location_id=location.pk)
    except DomainError:
        raise Http404 from None
    content = path.read_bytes()
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        category=AuditCategory.DEMOGRAPHICS,
        object_type="downtime_packet",
        object_id=path.parent.name,
        detail={
            "location_id": location.pk,
            "appointments": entry.get("appointment_count", 0),
            "sha256": entry.get("sha256", ""),
        },
    )
    return _pdf_response(content, f"downtime-{path.parent.name}-{location.pk}.pdf")
