"""Chart prep screens: the not-ready worklist (owners, one-click outreach, billing tasks) and a
patient's chart-prep page (authorizations, consents, outside records).

Thin: selectors scope and audit, services write and audit. Patients appear as "Last, F." + MRN.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.chartprep import selectors, services
from frontdesk.chartprep.choices import ItemStatus, ReadinessItem
from frontdesk.chartprep.forms import (
    AuthorizationForm,
    ConsentForm,
    RecordsRequestForm,
    WorklistFilterForm,
)
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.core.queryset import get_restricted
from frontdesk.patients.models import Patient
from frontdesk.scheduling.grid import patient_short


def _user(request: HttpRequest) -> Any:
    return request.user


def _or_404(call: Any, **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except NotFound:
        raise Http404 from None


def _apply_errors(form: Any, exc: DomainError) -> None:
    if not exc.fields:
        form.add_error(None, exc.message)
    for field, errors in exc.fields.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


@requires(A.READINESS_VIEW)
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    locations = selectors.location_choices(user)
    form = WorklistFilterForm(request.GET or None, locations=locations)
    data: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        return render(request, "chartprep/worklist.html", {"form": form, "rows": []}, status=400)
    location = data.get("location")
    location_ids = [location.pk] if location else [loc.pk for loc in locations]
    tz = location.tzinfo if location else zoneinfo.ZoneInfo(settings.TIME_ZONE)
    if data.get("day"):
        start = dt.datetime.combine(data["day"], dt.time(0), tzinfo=tz)
        end = dt.datetime.combine(data["day"] + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    else:
        start, end = selectors.upcoming_window()
    provider = data.get("provider")
    rows = selectors.readiness_worklist(
        user=user,
        location_ids=location_ids,
        start=start,
        end=end,
        provider_id=provider.pk if provider else None,
        item=data.get("item") or "",
    )
    shown = [
        {
            "r": row,
            "patient_label": f"{patient_short(row.appointment.patient)} · MRN {row.appointment.patient.mrn}",
            "problems": [
                {**item, "owner": row.owners.get(item["key"])}
                for item in row.items
                if item["status"] == ItemStatus.MISSING
            ],
            "unknowns": [
                item["label"] for item in row.items if item["status"] == ItemStatus.UNKNOWN
            ],
        }
        for row in rows
    ]
    return render(
        request,
        "chartprep/worklist.html",
        {
            "form": form,
            "rows": shown,
            "days": selectors.readiness_days(),
            "billing_items": [str(i) for i in services.BILLING_ITEMS],
            "back": request.get_full_path(),
        },
    )


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    # Only our own worklist paths: never an open redirect.
    if not target.startswith(reverse("chartprep:worklist")):
        target = reverse("chartprep:worklist")
    return redirect(target)


@requires(A.READINESS_VIEW)
@require_POST
def owner_set(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _or_404(selectors.appointment_get, user=_user(request), appointment_id=pk)
    try:
        services.readiness_owner_set(
            actor=_user(request),
            appointment=appointment,
            item=request.POST.get("item", ""),
            owner=request.POST.get("owner", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Owner set for appointment #{appointment.pk}.")
    return _back(request)


@requires(A.READINESS_VIEW)
@require_POST
def forms_outreach(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _or_404(selectors.appointment_get, user=_user(request), appointment_id=pk)
    try:
        count = services.readiness_forms_outreach(actor=_user(request), appointment=appointment)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Forms reminder queued ({count} message{'s' if count != 1 else ''})."
        )
    return _back(request)


@requires(A.READINESS_VIEW)
@require_POST
def billing_task(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _or_404(selectors.appointment_get, user=_user(request), appointment_id=pk)
    try:
        task = services.readiness_billing_task(
            actor=_user(request), appointment=appointment, item=request.POST.get("item", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Task #{task.pk} opened for billing.")
    return _back(request)


# --- a patient's chart-prep page ----------------------------------------------------------------


@requires(A.READINESS_VIEW)
@require_GET
def patient_prep(request: HttpRequest, pk: int) -> HttpResponse:
    prep = _or_404(selectors.patient_prep, user=_user(request), patient_id=pk)
    return render(
        request,
        "chartprep/patient.html",
        {
            "prep": prep,
            "patient_label": f"{patient_short(prep.patient)} · MRN {prep.patient.mrn}",
            "consent_form": ConsentForm(),
            "records_form": RecordsRequestForm(),
            "can_edit_auth": _user(request).can(A.AUTHORIZATION_EDIT),
            "can_update": _user(request).can(A.PATIENT_UPDATE),
        },
    )


def _patient(request: HttpRequest, pk: int, action: str) -> Patient:
    try:
        patient: Patient = get_restricted(Patient.objects.active(), _user(request), action, pk=pk)
    except NotFound:
        raise Http404 from None
    return patient


def _authorization_page(
    request: HttpRequest, form: AuthorizationForm, patient: Patient, authorization: Any, status: int
) -> HttpResponse:
    return render(
        request,
        "chartprep/authorization_form.html",
        {
            "form": form,
            "patient": patient,
            "patient_label": f"{patient_short(patient)} · MRN {patient.mrn}",
            "authorization": authorization,
        },
        status=status,
    )


@requires(A.AUTHORIZATION_EDIT)
@require_http_methods(["GET", "POST"])
def authorization_create(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _or_404(selectors.patient_for_authorization, user=_user(request), patient_id=pk)
    form = AuthorizationForm(request.POST or None, initial={"status": "active", "units_used": 0})
    if request.method == "POST" and form.is_valid():
        try:
            services.authorization_create(
                actor=_user(request),
                patient=patient,
                data=form.service_data(),
                appointment_types=form.cleaned_data["appointment_types"],
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Authorization saved.")
            return redirect("chartprep:patient", pk=patient.pk)
    status = 400 if request.method == "POST" else 200
    return _authorization_page(request, form, patient, None, status)


@requires(A.AUTHORIZATION_EDIT)
@require_http_methods(["GET", "POST"])
def authorization_edit(request: HttpRequest, pk: int) -> HttpResponse:
    authorization = _or_404(selectors.authorization_get, user=_user(request), authorization_id=pk)
    patient = _or_404(
        selectors.patient_for_authorization,
        user=_user(request),
        patient_id=authorization.patient_id,
    )
    initial = {
        field: getattr(authorization, field)
        for field in AuthorizationForm.base_fields
        if field not in ("appointment_types", "cpt_codes", "payer", "plan")
    }
    initial.update(
        payer=authorization.payer_id,
        plan=authorization.plan_id,
        appointment_types=list(authorization.appointment_types.all()),
        cpt_codes=", ".join(authorization.cpt_codes),
    )
    form = AuthorizationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.authorization_update(
                actor=_user(request),
                authorization=authorization,
                data=form.service_data(),
                appointment_types=form.cleaned_data["appointment_types"],
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Authorization updated.")
            return redirect("chartprep:patient", pk=patient.pk)
    status = 400 if request.method == "POST" else 200
    return _authorization_page(request, form, patient, authorization, status)


@requires(A.PATIENT_UPDATE)
@require_POST
def consent_paper(request: HttpRequest, pk: int) -> HttpResponse:
    """The desk's "acknowledged on paper today"."""
    patient = _patient(request, pk, A.PATIENT_UPDATE)
    try:
        services.consent_acknowledge(
            actor=_user(request), patient=patient, kind=request.POST.get("kind", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Acknowledgement recorded (on paper, today).")
    return redirect("chartprep:patient", pk=patient.pk)


@requires(A.PATIENT_UPDATE)
@require_POST
def records_request(request: HttpRequest, pk: int) -> HttpResponse:
    patient = _patient(request, pk, A.PATIENT_UPDATE)
    try:
        services.records_request_create(
            actor=_user(request),
            patient=patient,
            requested_from=request.POST.get("requested_from", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Records request noted.")
    return redirect("chartprep:patient", pk=patient.pk)


@requires(A.PATIENT_UPDATE)
@require_POST
def records_received(request: HttpRequest, pk: int) -> HttpResponse:
    record = _or_404(selectors.records_request_get, user=_user(request), request_id=pk)
    try:
        services.records_request_mark_received(actor=_user(request), record=record)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Records marked received.")
    return redirect("chartprep:patient", pk=record.patient_id)


ITEM_LABELS = dict(ReadinessItem.choices)
