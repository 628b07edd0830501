"""Writing the front desk's day: check a patient in, move them across the flow board, running late.

Every service checks the actor's permission and location scope (another location looks absent: 404),
validates all input before writing, and writes in one transaction the change, its append-only flow
event, the appointment's mirrored FHIR status and one audit row (category "schedule"). A retried move
to the state the visit is already in is a no-op.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import (
    Conflict,
    FieldErrors,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from frontdesk.patients.choices import CoverageStatus
from frontdesk.patients.models import Coverage, Patient
from frontdesk.patients.services import verification_record
from frontdesk.practice.models import Location, Provider, Room
from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.models import Appointment
from frontdesk.scheduling.services import appointment_flow_status_set
from frontdesk.visits.choices import FlowState, IdentityMethod, flow_index
from frontdesk.visits.errors import RoomOccupied
from frontdesk.visits.models import CheckIn, FlowEvent, RunningLateNotice, Visit

MSG_CANCELLED = "This appointment was cancelled; it cannot be checked in. Book a new one."
MSG_NOSHOW = "This appointment is marked a no-show; undo the mark before checking the patient in."
MSG_NOT_BOOKED = "Only a booked appointment can be checked in."
MSG_NOT_TODAY = "Only today's appointments can be checked in."
MSG_ALREADY = "This patient is already checked in."
MSG_IDENTITY = "Confirm the patient's identity (photo, date of birth or ID) before checking in."
MSG_IDENTITY_METHOD = "Say how identity was confirmed."
MSG_NO_INSURANCE = (
    "No active insurance on file: mark the visit self-pay, or a manager checks in with a reason."
)
MSG_OVERRIDE_DENIED = "Only a manager can check in a patient without active insurance."
MSG_OVERRIDE_REASON = "Give the reason for checking in without active insurance."
MSG_REASON_BACKWARDS = "Say why the patient is moving back (a reason is required)."
MSG_UNDO_REASON = "Say why the check-in is being undone."
MSG_UNDO_STATE = "Only a patient still in the waiting room can have the check-in undone."
MSG_NOT_CHECKED_IN = "Check the patient in first."
MSG_TO_EXPECTED = "To send a patient back to expected, undo the check-in."
MSG_STATE = "Choose a flow state."
MSG_ROOM_REQUIRED = "Pick a room for the patient."
MSG_ROOM_INVALID = "That room is not an active room of this location."
MSG_NOT_IN_FLOW = "This appointment is not on today's board."
MSG_LATE_MINUTES = "Give the delay in minutes, between 5 and 240."
MSG_LATE_NOBODY = "This provider has no patients at this location today."
MSG_FIELD_NAME = "Name the changed fields briefly."

_CLOSED: dict[str, str] = {
    AppointmentStatus.CANCELLED: MSG_CANCELLED,
    AppointmentStatus.NOSHOW: MSG_NOSHOW,
    AppointmentStatus.ENTERED_IN_ERROR: MSG_CANCELLED,
}
_CHECKABLE = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)
# Specialties whose visits bill the coverage's primary-care copay; others the specialist copay.
PRIMARY_CARE_SPECIALTIES = frozenset(
    {"", "family medicine", "internal medicine", "pediatrics", "general practice", "primary care"}
)
_FLOW_TO_STATUS: dict[str, str] = {
    FlowState.ARRIVED: AppointmentStatus.CHECKED_IN,
    FlowState.ROOMED: AppointmentStatus.CHECKED_IN,
    FlowState.CHECKOUT: AppointmentStatus.CHECKED_IN,
    FlowState.DONE: AppointmentStatus.FULFILLED,
}
_STAMP: dict[str, str] = {
    FlowState.ARRIVED: "arrived_at",
    FlowState.ROOMED: "roomed_at",
    FlowState.CHECKOUT: "checkout_at",
    FlowState.DONE: "done_at",
}


# --- helpers -------------------------------------------------------------------------------------


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def _require_location(actor: Any, location_id: int, action: str) -> None:
    if not Location.objects.restrict(actor, action).filter(pk=location_id).exists():
        raise NotFound()


def _local_today(location: Location, now: dt.datetime) -> dt.date:
    return now.astimezone(location.tzinfo).date()


def active_coverage(patient: Patient, day: dt.date) -> Coverage | None:
    """The patient's active coverage in force on ``day`` (primary first), or None."""
    return (
        Coverage.objects.filter(patient=patient, status=CoverageStatus.ACTIVE)
        .exclude(effective_on__gt=day)
        .exclude(terminates_on__lt=day)
        .select_related("payer", "plan")
        .order_by("priority", "pk")
        .first()
    )


def copay_for(coverage: Coverage | None, provider: Provider) -> Decimal | None:
    """The copay the coverage lists for this kind of visit (None when the coverage does not say)."""
    if coverage is None:
        return None
    if (provider.specialty or "").strip().lower() in PRIMARY_CARE_SPECIALTIES:
        return coverage.copay_primary_care
    return coverage.copay_specialist


def copay_to_collect(coverage: Coverage | None, provider: Provider, day: dt.date) -> Decimal | None:
    """The copay to collect at check-in: the office-visit copay of the payer's latest active
    eligibility answer for the day, else what the coverage lists for this kind of visit."""
    from frontdesk.eligibility.selectors import copay_for_visit

    copay = copay_for_visit(coverage=coverage, day=day)
    return copay if copay is not None else copay_for(coverage, provider)


def _audit(actor: Any, appointment: Appointment, action: str, event: str, **detail: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        category=AuditCategory.SCHEDULE,
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.pk,
        detail={"event": event, **detail},
    )


def _locked_appointment(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("location", "provider", "patient")
        .get(pk=appointment.pk)
    )


def _event(
    visit: Visit, *, actor: Any, from_state: str, at: dt.datetime, reason: str = ""
) -> FlowEvent:
    return FlowEvent.objects.create(
        visit=visit,
        from_state=from_state,
        to_state=visit.state,
        room=visit.room,
        at=at,
        by=actor,
        is_backward=flow_index(visit.state) < flow_index(from_state),
        reason=reason[:200],
    )


# --- check-in ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInInput:
    """What the desk confirmed on the checklist."""

    identity_confirmed: bool
    identity_method: str
    demographics_confirmed: bool = False
    changed_fields: tuple[str, ...] = ()
    insurance_confirmed: bool = False
    self_pay: bool = False
    override_reason: str = ""
    note: str = ""


def visit_check_in(*, actor: Any, appointment: Appointment, data: CheckInInput) -> CheckIn:
    """Check the patient of today's ``appointment`` in at the desk: the visit becomes "arrived".

    Refused (nothing written): cancelled / no-show / already checked-in appointments, another day's,
    identity not confirmed, and no active insurance unless self-pay or a manager overrides with a
    reason. The demographics/insurance confirmation is recorded as the patient's per-visit
    ``Verification`` (its own audit row) and linked from the check-in.
    """
    _require(actor, A.APPOINTMENT_CHECK_IN)
    _require_location(actor, appointment.location_id, A.APPOINTMENT_CHECK_IN)
    errors = FieldErrors()
    if not data.identity_confirmed:
        errors.add("identity_confirmed", MSG_IDENTITY)
    if data.identity_method not in IdentityMethod.values:
        errors.add("identity_method", MSG_IDENTITY_METHOD)
    fields = [str(name).strip() for name in data.changed_fields if str(name).strip()]
    if any(len(name) > 64 for name in fields):
        errors.add("changed_fields", MSG_FIELD_NAME)
    override_reason = (data.override_reason or "").strip()[:200]
    now = timezone.now()
    with transaction.atomic():
        current = _locked_appointment(appointment)
        if current.status in _CLOSED:
            raise Conflict(_CLOSED[current.status], code="not_checkable")
        if CheckIn.objects.filter(visit__appointment=current, undone_at__isnull=True).exists():
            raise Conflict(MSG_ALREADY, code="already_checked_in")
        if current.status not in _CHECKABLE:
            raise Conflict(MSG_NOT_BOOKED, code="not_checkable")
        today = _local_today(current.location, now)
        if current.starts_at.astimezone(current.location.tzinfo).date() != today:
            raise Conflict(MSG_NOT_TODAY, code="not_today")
        coverage = active_coverage(current.patient, today)
        override = False
        if coverage is None and not data.self_pay:
            if not override_reason:
                errors.add("override_reason", MSG_NO_INSURANCE)
            elif not actor.can(A.CHECK_IN_OVERRIDE):
                raise PermissionDenied(MSG_OVERRIDE_DENIED)
            else:
                override = True
        errors.raise_if_any()
        verification = None
        if data.demographics_confirmed or data.insurance_confirmed:
            verification = verification_record(
                actor=actor,
                patient=current.patient,
                demographics_confirmed=data.demographics_confirmed,
                insurance_confirmed=data.insurance_confirmed and coverage is not None,
                identity_document=IdentityMethod(data.identity_method).label[:40],
                changed_fields=fields,
                note=(data.note or "").strip(),
            )
        visit, _created = Visit.objects.select_for_update().get_or_create(
            appointment=current,
            defaults={
                "location_id": current.location_id,
                "state": FlowState.EXPECTED,
                "state_since": now,
            },
        )
        from_state = visit.state
        visit.state = FlowState.ARRIVED
        visit.state_since = now
        visit.arrived_at = now
        visit.room = None
        visit.roomed_at = visit.checkout_at = visit.done_at = None
        visit.save()
        _event(visit, actor=actor, from_state=from_state, at=now)
        check_in = CheckIn.objects.create(
            visit=visit,
            checked_in_at=now,
            checked_in_by=actor,
            identity_method=data.identity_method,
            demographics_confirmed=data.demographics_confirmed,
            changed_fields=list(dict.fromkeys(fields)),
            insurance_confirmed=data.insurance_confirmed and coverage is not None,
            coverage=coverage,
            verification=verification,
            copay_due=None
            if data.self_pay
            else copay_to_collect(coverage, current.provider, today),
            is_self_pay=data.self_pay,
            override_reason=override_reason if override else "",
            override_by=actor if override else None,
        )
        appointment_flow_status_set(
            actor=actor, appointment=current, status=AppointmentStatus.CHECKED_IN
        )
        _audit(
            actor,
            current,
            AuditAction.UPDATE,
            "checked_in",
            check_in_id=check_in.pk,
            self_pay=data.self_pay,
            insurance_override=override,
            changed_fields=check_in.changed_fields,
        )
    appointment.refresh_from_db()
    return check_in


def visit_check_in_undo(*, actor: Any, appointment: Appointment, reason: str) -> Visit:
    """Undo a mistaken check-in while the patient is still waiting: back to expected (and booked).

    Works for a desk check-in (its ``CheckIn`` row is marked undone, with who, when and why) and for
    a kiosk self check-in, which has no ``CheckIn`` row: the patient tapped in on the wrong
    appointment (the appointment is FHIR "arrived", not yet checked in at the desk). Either way the
    visit goes back to expected with a backward flow event carrying the reason, the appointment to
    booked through scheduling, and one audit row. Afterwards the desk checks the patient in normally.
    """
    _require(actor, A.APPOINTMENT_CHECK_IN)
    _require_location(actor, appointment.location_id, A.APPOINTMENT_CHECK_IN)
    reason = (reason or "").strip()[:200]
    errors = FieldErrors()
    if not reason:
        errors.add("reason", MSG_UNDO_REASON)
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic():
        current = _locked_appointment(appointment)
        visit = Visit.objects.select_for_update().filter(appointment=current).first()
        check_in = (
            CheckIn.objects.select_for_update().filter(visit=visit, undone_at__isnull=True).first()
            if visit is not None
            else None
        )
        if visit is None or visit.state == FlowState.EXPECTED:
            raise Conflict(MSG_NOT_CHECKED_IN, code="not_checked_in")
        if visit.state != FlowState.ARRIVED:
            raise Conflict(MSG_UNDO_STATE, code="not_waiting")
        # Without a desk check-in, only a kiosk arrival (FHIR "arrived") can be undone.
        if check_in is None and current.status != AppointmentStatus.ARRIVED:
            raise Conflict(MSG_NOT_CHECKED_IN, code="not_checked_in")
        if check_in is not None:
            check_in.undone_at, check_in.undone_by, check_in.undo_reason = now, actor, reason
            check_in.save(update_fields=["undone_at", "undone_by", "undo_reason"])
        visit.state, visit.state_since, visit.arrived_at = FlowState.EXPECTED, now, None
        visit.save()
        _event(visit, actor=actor, from_state=FlowState.ARRIVED, at=now, reason=reason)
        appointment_flow_status_set(
            actor=actor, appointment=current, status=AppointmentStatus.BOOKED, reason=reason
        )
        if check_in is not None:
            _audit(actor, current, AuditAction.UPDATE, "check_in_undone", check_in_id=check_in.pk)
        else:
            _audit(actor, current, AuditAction.UPDATE, "self_check_in_undone", visit_id=visit.pk)
    appointment.refresh_from_db()
    return visit


# --- the flow board ------------------------------------------------------------------------------


def flow_move(
    *,
    actor: Any,
    appointment: Appointment,
    to_state: str,
    room: Room | None = None,
    reason: str = "",
) -> Visit:
    """Move a checked-in patient to ``to_state`` (with a room when roomed).

    Forward moves may skip states; backward moves need a reason. A room holds one patient at a time
    (a database constraint; a race loses with ``RoomOccupied``). Moving to the state the visit is in
    (and, when roomed, the same room) changes nothing.
    """
    _require(actor, A.FLOW_MANAGE)
    _require_location(actor, appointment.location_id, A.FLOW_MANAGE)
    reason = (reason or "").strip()[:200]
    errors = FieldErrors()
    if to_state not in FlowState.values:
        errors.add("state", MSG_STATE)
    elif to_state == FlowState.EXPECTED:
        errors.add("state", MSG_TO_EXPECTED)
    elif to_state == FlowState.ROOMED and room is None:
        errors.add("room", MSG_ROOM_REQUIRED)
    if room is not None and (room.location_id != appointment.location_id or not room.is_active):
        errors.add("room", MSG_ROOM_INVALID)
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic():
        current = _locked_appointment(appointment)
        if current.status in _CLOSED:
            raise Conflict(MSG_NOT_IN_FLOW, code="not_in_flow")
        visit = Visit.objects.select_for_update().filter(appointment=current).first()
        if visit is None or visit.state == FlowState.EXPECTED:
            raise Conflict(MSG_NOT_CHECKED_IN, code="not_checked_in")
        target_room = room if to_state == FlowState.ROOMED else None
        if visit.state == to_state and visit.room_id == (target_room.pk if target_room else None):
            return visit
        backward = flow_index(to_state) < flow_index(visit.state)
        if backward and not reason:
            raise ValidationFailed(MSG_REASON_BACKWARDS, field="reason")
        if (
            target_room is not None
            and Visit.objects.filter(room=target_room, state=FlowState.ROOMED)
            .exclude(pk=visit.pk)
            .exists()
        ):
            raise RoomOccupied()
        from_state = visit.state
        visit.state = to_state
        visit.room = target_room
        if from_state != to_state:
            visit.state_since = now
            setattr(visit, _STAMP[to_state], now)
        if backward:
            # The later stamps no longer describe the visit (it is no longer there); the event log keeps them.
            for later, stamp in _STAMP.items():
                if flow_index(later) > flow_index(to_state):
                    setattr(visit, stamp, None)
        try:
            with transaction.atomic():
                visit.save()
        except IntegrityError as exc:
            if "visit_one_patient_per_room" in str(exc) or "UNIQUE" in str(exc).upper():
                raise RoomOccupied() from None
            raise
        _event(visit, actor=actor, from_state=from_state, at=now, reason=reason)
        appointment_flow_status_set(
            actor=actor, appointment=current, status=_FLOW_TO_STATUS[to_state], reason=reason
        )
        _audit(
            actor,
            current,
            AuditAction.UPDATE,
            "flow_moved",
            from_state=from_state,
            to_state=to_state,
            room_id=target_room.pk if target_room else None,
            backward=backward,
        )
    appointment.refresh_from_db()
    return visit


# --- running late --------------------------------------------------------------------------------

LATE_TEXT = (
    "{location}: your provider is running about {minutes} minutes late today. "
    "Please keep your appointment time; we will see you as soon as we can."
)
# Patients still to be seen: not yet roomed (or not checked in at all).
_WAITING_STATES = (FlowState.EXPECTED, FlowState.ARRIVED)


def provider_running_late(
    *, actor: Any, provider: Provider, location: Location, minutes: int
) -> RunningLateNotice:
    """Tell the provider's remaining patients of today at ``location`` that they run ``minutes`` late.

    One short message per patient over the channels they consented to (no clinical details), sent
    after commit by the notifications app. Idempotent per provider, location, day and delay: the
    second call returns the first notice and sends nothing.
    """
    _require(actor, A.FLOW_MANAGE)
    _require_location(actor, location.pk, A.FLOW_MANAGE)
    errors = FieldErrors()
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 5 <= minutes <= 240:
        errors.add("minutes", MSG_LATE_MINUTES)
    errors.raise_if_any()
    from frontdesk.notifications.choices import Purpose
    from frontdesk.notifications.services import notification_send

    now = timezone.now()
    tz = location.tzinfo
    day = now.astimezone(tz).date()
    existing = RunningLateNotice.objects.filter(
        provider=provider, location=location, day=day, delay_minutes=minutes
    ).first()
    if existing is not None:
        return existing
    day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    remaining = list(
        Appointment.objects.filter(
            provider=provider,
            location=location,
            starts_at__gte=now - dt.timedelta(hours=2),
            starts_at__lt=day_end,
            status__in=(
                AppointmentStatus.BOOKED,
                AppointmentStatus.ARRIVED,
                AppointmentStatus.CHECKED_IN,
            ),
        )
        .exclude(visit__state__in=(FlowState.ROOMED, FlowState.CHECKOUT, FlowState.DONE))
        .select_related("patient", "location")
        .order_by("starts_at", "pk")
    )
    if not remaining:
        errors.add("provider", MSG_LATE_NOBODY)
        errors.raise_if_any()
    text = LATE_TEXT.format(location=location.name, minutes=minutes)
    try:
        with transaction.atomic():
            notice = RunningLateNotice.objects.create(
                provider=provider,
                location=location,
                day=day,
                delay_minutes=minutes,
                created_at=now,
                created_by=actor,
            )
            patients: set[int] = set()
            sent = 0
            for row in remaining:
                if row.patient_id in patients:
                    continue
                patients.add(row.patient_id)
                messages = notification_send(
                    patient=row.patient,
                    purpose=Purpose.RUNNING_LATE,
                    text=text,
                    subject="Running late",
                    appointment=row,
                    idempotency_key=f"late:{provider.pk}:{location.pk}:{day}:{minutes}:{row.patient_id}",
                )
                sent += len(messages)
            notice.patients_notified = len(patients)
            notice.messages_sent = sent
            notice.save(update_fields=["patients_notified", "messages_sent"])
            audit_record(
                actor=actor,
                action=AuditAction.DISCLOSE,
                category=AuditCategory.SCHEDULE,
                object_type="running_late_notice",
                object_id=notice.pk,
                detail={
                    "provider_id": provider.pk,
                    "location_id": location.pk,
                    "minutes": minutes,
                    "patients": len(patients),
                    "messages": sent,
                },
            )
    except IntegrityError:
        # A colleague pressed the same button at the same moment: theirs stands.
        return RunningLateNotice.objects.get(
            provider=provider, location=location, day=day, delay_minutes=minutes
        )
    return notice


# --- self check-in (kiosk) -----------------------------------------------------------------------


def visit_self_check_in(*, actor: Any, appointment: Appointment) -> Visit:
    """The patient checked themselves in at a kiosk: the visit becomes "arrived".

    ``actor`` is the kiosk's service user. The appointment's status becomes FHIR "arrived" (not
    checked-in): the desk still walks the insurance checklist, which moves it to checked-in. Refused
    for anything but a booked appointment of today.
    """
    now = timezone.now()
    with transaction.atomic():
        current = _locked_appointment(appointment)
        if current.status in _CLOSED:
            raise Conflict(_CLOSED[current.status], code="not_checkable")
        if current.status != AppointmentStatus.BOOKED:
            raise Conflict(MSG_ALREADY, code="already_checked_in")
        if current.starts_at.astimezone(current.location.tzinfo).date() != _local_today(
            current.location, now
        ):
            raise Conflict(MSG_NOT_TODAY, code="not_today")
        visit, _created = Visit.objects.select_for_update().get_or_create(
            appointment=current,
            defaults={
                "location_id": current.location_id,
                "state": FlowState.EXPECTED,
                "state_since": now,
            },
        )
        if visit.state != FlowState.EXPECTED:
            raise Conflict(MSG_ALREADY, code="already_checked_in")
        visit.state = FlowState.ARRIVED
        visit.state_since = now
        visit.arrived_at = now
        visit.save()
        _event(visit, actor=actor, from_state=FlowState.EXPECTED, at=now)
        appointment_flow_status_set(
            actor=actor, appointment=current, status=AppointmentStatus.ARRIVED
        )
        _audit(actor, current, AuditAction.UPDATE, "self_checked_in", visit_id=visit.pk)
    appointment.refresh_from_db()
    return visit
