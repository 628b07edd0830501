"""Writes of chart prep: authorizations, consent acknowledgements, records requests, the stored
readiness of upcoming visits, owners of checklist items and one-click outreach.

Every write that changes what readiness reads recomputes the patient's upcoming visits in the same
transaction (data written by other apps is caught by the periodic recompute, see ``periodic.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import Change, audit_record
from frontdesk.chartprep import selectors
from frontdesk.chartprep.choices import (
    AuthorizationKind,
    AuthorizationStatus,
    ConsentKind,
    ConsentMethod,
    ReadinessItem,
)
from frontdesk.chartprep.models import (
    Authorization,
    ConsentAcknowledgement,
    Readiness,
    RecordsRequest,
)
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Payer, Plan
from frontdesk.scheduling.models import Appointment, AppointmentType
from frontdesk.standards.npi import is_valid as is_valid_npi

MSG_FIX = "Please correct the highlighted fields."
MSG_KIND = "Choose referral or prior authorization."
MSG_STATUS = "Choose a status."
MSG_VALID_FROM = "Enter the date the authorization starts."
MSG_DATES = "The end date must be on or after the start date."
MSG_UNITS = "Units must be zero or more."
MSG_USED = "Units used cannot exceed units approved."
MSG_NPI = "That NPI is not valid (10 digits with a correct check digit)."
MSG_PLAN_PAYER = "The plan belongs to another payer."
MSG_CPT = "CPT/HCPCS codes are five characters, e.g. 99213 or J1100."
MSG_CONSENT_KIND = "Choose which form was acknowledged."
MSG_REQUESTED_FROM = "Say where the records were requested from (at most 120 characters)."
MSG_ALREADY_RECEIVED = "These records are already marked received."
MSG_ITEM = "Choose a checklist item."
MSG_OWNER = "Choose me, billing or nobody."
MSG_NO_ADDRESS = "The patient has no consented phone or e-mail: phone them instead."
MSG_TASK_ITEM = "Only insurance, eligibility and authorization items go to billing."

FORMS_TEXT = (
    "{practice}: please complete your forms before your visit on {when}. "
    "Ask the front desk if you need a copy."
)
BILLING_ITEMS = {ReadinessItem.COVERAGE, ReadinessItem.ELIGIBILITY, ReadinessItem.AUTHORIZATION}


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


# --- readiness ----------------------------------------------------------------------------------


def readiness_recompute(
    *,
    patient_ids: Iterable[int] | None = None,
    appointment_ids: Iterable[int] | None = None,
    location_ids: Iterable[int] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> int:
    """Recompute and store the readiness of upcoming visits (all, or the given patients' / visits').

    Owners already assigned are kept. Rows of visits no longer upcoming-and-active within the same
    scope are removed. Returns the number of visits computed. Not audited: it reads and derives, and
    writes no patient data (the periodic task would fill the log with one row every few minutes).
    """
    window_start, window_end = selectors.upcoming_window()
    start = start or window_start
    end = end or window_end
    appointments = selectors.appointments_in_window(start, end)
    stale = Readiness.objects.all()
    if patient_ids is not None:
        ids = list(patient_ids)
        appointments = appointments.filter(patient_id__in=ids)
        stale = stale.filter(appointment__patient_id__in=ids)
    if appointment_ids is not None:
        ids = list(appointment_ids)
        appointments = appointments.filter(pk__in=ids)
        stale = stale.filter(appointment_id__in=ids)
    if location_ids is not None:
        ids = list(location_ids)
        appointments = appointments.filter(location_id__in=ids)
        stale = stale.filter(location_id__in=ids)
    computed = selectors.readiness_compute(appointments)
    now = timezone.now()
    with transaction.atomic():
        stale.exclude(appointment__in=appointments.values("pk")).filter(
            starts_at__gte=start, starts_at__lt=end
        ).delete()
        stale.exclude(appointment__status__in=selectors.PREP_STATUSES).delete()
        Readiness.objects.bulk_create(
            [
                Readiness(
                    appointment_id=c.appointment_id,
                    location_id=c.location_id,
                    starts_at=c.starts_at,
                    is_ready=not c.missing,
                    missing=c.missing,
                    items=c.items,
                    computed_at=now,
                )
                for c in computed
            ],
            batch_size=500,
            update_conflicts=True,
            unique_fields=["appointment"],
            update_fields=["location", "starts_at", "is_ready", "missing", "items", "computed_at"],
        )
    return len(computed)


def readiness_prune(*, before: dt.datetime | None = None) -> int:
    """Drop stored readiness of visits that have started (nightly)."""
    deleted, _ = Readiness.objects.filter(starts_at__lt=before or timezone.now()).delete()
    return deleted


def _item_key(item: str) -> str:
    if item not in ReadinessItem.values:
        raise ValidationFailed(MSG_ITEM, field="item")
    return item


def _stored_row(appointment: Appointment) -> Readiness:
    row = Readiness.objects.select_for_update().filter(appointment=appointment).first()
    if row is None:
        readiness_recompute(
            appointment_ids=[appointment.pk],
            start=appointment.starts_at - dt.timedelta(seconds=1),
            end=appointment.starts_at + dt.timedelta(seconds=1),
        )
        row = Readiness.objects.select_for_update().filter(appointment=appointment).first()
    if row is None:
        raise Conflict("This visit is no longer upcoming.", code="not_upcoming")
    return row


def readiness_owner_set(
    *, actor: Any, appointment: Appointment, item: str, owner: str
) -> Readiness:
    """Say who works a checklist item: ``me``, ``billing`` (the billing role) or ``""`` (nobody)."""
    _require(actor, A.READINESS_VIEW)
    key = _item_key(item)
    if owner not in ("me", "billing", ""):
        raise ValidationFailed(MSG_OWNER, field="owner")
    with transaction.atomic():
        row = _stored_row(appointment)
        owners = dict(row.owners)
        if owner == "me":
            owners[key] = {"user_id": actor.pk, "name": actor.display_name}
        elif owner == "billing":
            owners[key] = {"role": Role.BILLING, "name": "Billing"}
        else:
            owners.pop(key, None)
        row.owners = owners
        row.save(update_fields=["owners"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.SCHEDULE,
            patient_id=appointment.patient_id,
            object_type="readiness",
            object_id=row.pk,
            detail={"event": "readiness_owner_set", "item": key, "owner": owner or "nobody"},
        )
    return row


def readiness_forms_outreach(*, actor: Any, appointment: Appointment) -> int:
    """Message the patient to complete their forms (no clinical detail); once per visit and day."""
    _require(actor, A.READINESS_VIEW)
    from frontdesk.notifications.choices import Purpose
    from frontdesk.notifications.services import notification_send

    local = appointment.starts_at.astimezone(appointment.location.tzinfo)
    text = FORMS_TEXT.format(
        practice=appointment.location.name, when=local.strftime("%a %b %d at %I:%M %p")
    )
    key = f"chartprep-forms:{appointment.pk}:{timezone.localdate().isoformat()}"
    with transaction.atomic():
        sent = notification_send(
            patient=appointment.patient,
            purpose=Purpose.FORMS_REQUEST,
            text=text,
            subject="Forms to complete before your visit",
            appointment=appointment,
            idempotency_key=key,
        )
        if not sent:
            raise ValidationFailed(MSG_NO_ADDRESS, code="no_channel")
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.SCHEDULE,
            patient_id=appointment.patient_id,
            object_type="appointment",
            object_id=appointment.pk,
            detail={"event": "forms_outreach", "messages": len(sent)},
        )
    return len(sent)


def readiness_billing_task(*, actor: Any, appointment: Appointment, item: str) -> Any:
    """Open a follow-up task for billing about an insurance item, and make billing its owner."""
    _require(actor, A.READINESS_VIEW)
    key = _item_key(item)
    if key not in BILLING_ITEMS:
        raise ValidationFailed(MSG_TASK_ITEM, field="item")
    from frontdesk.notifications.choices import FollowUpKind
    from frontdesk.notifications.models import FollowUpTask

    with transaction.atomic():
        existing = FollowUpTask.objects.filter(
            kind=FollowUpKind.CHART_PREP_BILLING, appointment=appointment, done_at__isnull=True
        ).first()
        task = existing or FollowUpTask.objects.create(
            kind=FollowUpKind.CHART_PREP_BILLING,
            patient_id=appointment.patient_id,
            appointment=appointment,
        )
        if existing is None:
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                category=AuditCategory.INSURANCE,
                patient_id=appointment.patient_id,
                object_type="followup_task",
                object_id=task.pk,
                detail={"event": "chart_prep_billing_task", "item": key},
            )
        readiness_owner_set(actor=actor, appointment=appointment, item=key, owner="billing")
    return task


# --- authorizations -----------------------------------------------------------------------------


def _clean_authorization(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    if data.get("kind") not in AuthorizationKind.values:
        errors["kind"] = [MSG_KIND]
    if data.get("status", AuthorizationStatus.ACTIVE) not in AuthorizationStatus.values:
        errors["status"] = [MSG_STATUS]
    valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
    if not isinstance(valid_from, dt.date):
        errors["valid_from"] = [MSG_VALID_FROM]
    elif valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = [MSG_DATES]
    approved, used = data.get("units_approved"), data.get("units_used") or 0
    if (approved is not None and approved < 0) or used < 0:
        errors["units_approved" if approved is not None and approved < 0 else "units_used"] = [
            MSG_UNITS
        ]
    elif approved is not None and used > approved:
        errors["units_used"] = [MSG_USED]
    npi = (data.get("referring_provider_npi") or "").strip()
    if npi and not is_valid_npi(npi):
        errors["referring_provider_npi"] = [MSG_NPI]
    payer: Payer | None = data.get("payer")
    plan: Plan | None = data.get("plan")
    if plan is not None and payer is not None and plan.payer_id != payer.pk:
        errors["plan"] = [MSG_PLAN_PAYER]
    codes = [c.strip().upper() for c in data.get("cpt_codes") or [] if c.strip()]
    if any(len(c) != 5 or not c.isalnum() for c in codes):
        errors["cpt_codes"] = [MSG_CPT]
    if errors:
        raise ValidationFailed(MSG_FIX, fields=errors)
    if plan is not None and payer is None:
        payer = plan.payer
    return {
        "kind": data["kind"],
        "status": data.get("status") or AuthorizationStatus.ACTIVE,
        "payer": payer,
        "plan": plan,
        "number": (data.get("number") or "").strip()[:40],
        "referring_provider_name": (data.get("referring_provider_name") or "").strip()[:120],
        "referring_provider_npi": npi,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "units_approved": approved,
        "units_used": used,
        "cpt_codes": codes,
        "note": (data.get("note") or "").strip()[:200],
    }


def authorization_create(
    *,
    actor: Any,
    patient: Patient,
    data: dict[str, Any],
    appointment_types: Iterable[AppointmentType] = (),
) -> Authorization:
    """Put a referral or prior authorization on file (``data`` holds the model's fields)."""
    _require(actor, A.AUTHORIZATION_EDIT)
    fields = _clean_authorization(data)
    types = list(appointment_types)
    with transaction.atomic():
        authorization = Authorization.objects.create(patient=patient, created_by=actor, **fields)
        authorization.appointment_types.set(types)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.INSURANCE,
            patient_id=patient.pk,
            object_type="authorization",
            object_id=authorization.pk,
            detail={"event": "authorization_added", "kind": fields["kind"]},
        )
        readiness_recompute(patient_ids=[patient.pk])
    return authorization


def authorization_update(
    *,
    actor: Any,
    authorization: Authorization,
    data: dict[str, Any],
    appointment_types: Iterable[AppointmentType] = (),
) -> Authorization:
    """Correct an authorization (units used, dates, status…); field history goes to the audit log."""
    _require(actor, A.AUTHORIZATION_EDIT)
    fields = _clean_authorization(data)
    types = list(appointment_types)
    with transaction.atomic():
        current = Authorization.objects.select_for_update().get(pk=authorization.pk)
        changes = []
        for name, value in fields.items():
            old = getattr(current, name)
            if old != value:
                changes.append(Change(field=name, old=str(old), new=str(value)))
                setattr(current, name, value)
        current.save()
        current.appointment_types.set(types)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.INSURANCE,
            patient_id=current.patient_id,
            object_type="authorization",
            object_id=current.pk,
            detail={"event": "authorization_updated"},
            changes=changes,
        )
        readiness_recompute(patient_ids=[current.patient_id])
    return current


# --- consents and records -----------------------------------------------------------------------


def consent_acknowledge(
    *,
    actor: Any,
    patient: Patient,
    kind: str,
    method: str = ConsentMethod.PAPER,
    at: dt.datetime | None = None,
) -> ConsentAcknowledgement:
    """Record that the patient acknowledged a form (default: on paper, now)."""
    _require(actor, A.PATIENT_UPDATE)
    if kind not in ConsentKind.values:
        raise ValidationFailed(MSG_CONSENT_KIND, field="kind")
    if method not in ConsentMethod.values:
        raise ValidationFailed("Choose paper or electronic.", field="method")
    with transaction.atomic():
        record = ConsentAcknowledgement.objects.create(
            patient=patient,
            kind=kind,
            method=method,
            acknowledged_at=at or timezone.now(),
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.DOCUMENTS,
            patient_id=patient.pk,
            object_type="consent",
            object_id=record.pk,
            detail={"event": "consent_acknowledged", "kind": kind, "method": method},
        )
        readiness_recompute(patient_ids=[patient.pk])
    return record


def records_request_create(
    *, actor: Any, patient: Patient, requested_from: str, requested_at: dt.datetime | None = None
) -> RecordsRequest:
    """Note that outside records were requested (readiness waits for them to arrive)."""
    _require(actor, A.PATIENT_UPDATE)
    source = (requested_from or "").strip()
    if not source or len(source) > 120:
        raise ValidationFailed(MSG_REQUESTED_FROM, field="requested_from")
    with transaction.atomic():
        record = RecordsRequest.objects.create(
            patient=patient,
            requested_from=source,
            requested_at=requested_at or timezone.now(),
            requested_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.DOCUMENTS,
            patient_id=patient.pk,
            object_type="records_request",
            object_id=record.pk,
            detail={"event": "records_requested"},
        )
        readiness_recompute(patient_ids=[patient.pk])
    return record


def records_request_mark_received(*, actor: Any, record: RecordsRequest) -> RecordsRequest:
    _require(actor, A.PATIENT_UPDATE)
    with transaction.atomic():
        current = RecordsRequest.objects.select_for_update().get(pk=record.pk)
        if current.received_at is not None:
            raise Conflict(MSG_ALREADY_RECEIVED, code="already_received")
        current.received_at = max(timezone.now(), current.requested_at)
        current.received_by = actor
        current.save(update_fields=["received_at", "received_by", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.DOCUMENTS,
            patient_id=current.patient_id,
            object_type="records_request",
            object_id=current.pk,
            detail={"event": "records_received"},
        )
        readiness_recompute(patient_ids=[current.patient_id])
    return current
