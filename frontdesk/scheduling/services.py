"""Writing the schedule: book, reschedule, cancel, no-show, hold and release slots.

Every service checks the actor's permission, validates all input before writing, and writes its
``AppointmentEvent`` and exactly one audit row (category "schedule") in the same transaction as the change.

No double booking: on PostgreSQL exclusion constraints refuse overlapping active appointments of one
provider, room, piece of equipment or patient (migration 0002); the services additionally lock the
provider's row so buffers, daily caps and holds are checked race-free. On SQLite write transactions are
IMMEDIATE (serialized), so the checks below, made inside the transaction, are the guarantee.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Equipment, Location, Provider, Room
from frontdesk.scheduling import availability as av
from frontdesk.scheduling.choices import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    AppointmentStatus,
    CancellationReason,
    CancelledBy,
    EventKind,
    PatientKind,
)
from frontdesk.scheduling.errors import PatientDoubleBooked, SlotTaken
from frontdesk.scheduling.models import (
    Appointment,
    AppointmentEvent,
    AppointmentType,
    SlotHold,
)
from frontdesk.scheduling.slots import (
    MSG_PATIENT_KIND,
    patient_is_established,
    patient_kind_refusal,
    patient_visit_keys,
    slot_check,
)

BOOK = "appointment.book"
OVERBOOK = "appointment.overbook"

MSG_PAST = "That time is in the past."
MSG_OFF_GRID = "Appointments start on a {grid}-minute grid."
MSG_OUTSIDE = "That time is outside the provider's availability at this location."
MSG_RESERVED = "That time is reserved for other appointment types until closer to the day."
_OUTSIDE_REASONS = frozenset(
    {av.IN_PAST, av.OFF_GRID, av.OUTSIDE_AVAILABILITY, av.TYPE_NOT_ALLOWED, av.BLOCKED}
)
MSG_TYPE_INACTIVE = "This appointment type is no longer offered."
MSG_PROVIDER_TYPE = "This provider does not take this appointment type."
MSG_PROVIDER_INACTIVE = "This provider is not active."
MSG_LOCATION_INACTIVE = "This location is not active."
MSG_PATIENT_INACTIVE = "This patient's record is inactive and cannot be booked."
MSG_PATIENT_MERGED = "This patient's record was merged into another; book the surviving record."
MSG_NO_ROOM = "No room available for that time."
MSG_NO_EQUIPMENT = "No equipment available for that time."
MSG_DAILY_CAP = "This provider's daily limit for this appointment type is reached."
MSG_OVERBOOK_DENIED = "You may not overbook this provider."
MSG_HOLD_INVALID = "That hold has expired or is not yours; search again."
MSG_NOT_OPEN = "Only a booked appointment can be changed."
MSG_NOSHOW_EARLY = "An appointment can be marked a no-show only after its start time."
MSG_CANCEL_REASON = "Choose a cancellation reason."
MSG_CANCELLED_BY = "Say who cancelled: the patient or the practice."
MSG_HOLD_MINUTES = "A hold lasts between 1 and 30 minutes."
MSG_IDEMPOTENCY_REUSED = "This idempotency key was already used for a different booking."


# --- helpers -------------------------------------------------------------------------------------


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def _require_location(actor: Any, location: Location, action: str) -> None:
    """Out-of-scope locations look absent (404), like every other scoped object."""
    if not Location.objects.restrict(actor, action).filter(pk=location.pk).exists():
        raise NotFound()


def _grid_minutes() -> int:
    return int(getattr(settings, "SCHEDULE_GRID_MINUTES", 5))


def _grace() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "SCHEDULE_PAST_GRACE_MINUTES", 10)))


def _late_cancel_window() -> dt.timedelta:
    return dt.timedelta(hours=int(getattr(settings, "LATE_CANCEL_HOURS", 24)))


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field=field)


def provider_takes_type(provider: Provider, appointment_type: AppointmentType) -> bool:
    """Listed providers take the type; with none listed, providers of a listed specialty (or any)."""
    listed = set(appointment_type.providers.values_list("pk", flat=True))
    if listed:
        return provider.pk in listed
    if appointment_type.specialties:
        return provider.specialty in appointment_type.specialties
    return True


@dataclass(frozen=True)
class _Span:
    start: dt.datetime
    end: dt.datetime


def _busy_span(appointment: Appointment) -> _Span:
    kind = appointment.appointment_type
    return _Span(
        appointment.starts_at - kind.buffer_before, appointment.ends_at + kind.buffer_after
    )


def _provider_clashes(
    provider: Provider, span: _Span, *, exclude_pk: int | None
) -> list[Appointment]:
    """Active, non-overbook appointments of the provider whose buffered interval meets ``span``."""
    window = dt.timedelta(days=1)
    rows = (
        Appointment.objects.active()
        .filter(provider=provider, is_overbook=False)
        .filter(starts_at__lt=span.end + window, ends_at__gt=span.start - window)
        .select_related("appointment_type")
    )
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return [a for a in rows if (busy := _busy_span(a)).start < span.end and busy.end > span.start]


def _patient_clash(
    patient: Patient, start: dt.datetime, end: dt.datetime, exclude_pk: int | None
) -> bool:
    rows = Appointment.objects.active().filter(patient=patient).overlapping(start, end)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.exists()


def _blocking_holds(
    actor: Any, provider: Provider, span: _Span, now: dt.datetime
) -> list[SlotHold]:
    return list(
        SlotHold.objects.filter(
            provider=provider,
            released_at__isnull=True,
            expires_at__gt=now,
            starts_at__lt=span.end,
            ends_at__gt=span.start,
        ).exclude(held_by_id=actor.pk)
    )


def _free_resource(
    model: type[Room] | type[Equipment],
    *,
    location: Location,
    kind: str,
    start: dt.datetime,
    end: dt.datetime,
    exclude_pk: int | None,
    prefer_pk: int | None = None,
) -> Room | Equipment | None:
    field = "room" if model is Room else "equipment"
    busy = Appointment.objects.active().filter(is_overbook=False).overlapping(start, end)
    if exclude_pk is not None:
        busy = busy.exclude(pk=exclude_pk)
    taken = busy.filter(**{f"{field}__isnull": False}).values_list(f"{field}_id", flat=True)
    candidates = list(
        model.objects.filter(location=location, kind=kind, is_active=True)
        .exclude(pk__in=list(taken))
        .order_by("name", "pk")
    )
    for candidate in candidates:
        if candidate.pk == prefer_pk:
            return candidate
    return candidates[0] if candidates else None


def _daily_count(
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    exclude_pk: int | None,
) -> int:
    tz = location.tzinfo
    day = start.astimezone(tz).date()
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    rows = Appointment.objects.active().filter(
        provider=provider,
        appointment_type=appointment_type,
        starts_at__gte=day_start,
        starts_at__lt=day_end,
    )
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.count()


def _lock_providers(*providers: Provider) -> None:
    """Serialize writers per provider (PostgreSQL) so buffers, caps and holds are checked race-free."""
    ids = sorted({p.pk for p in providers})
    list(Provider.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


@dataclass(frozen=True)
class _Placement:
    room: Room | None
    equipment: Equipment | None
    is_overbook: bool


def _validate_common(
    *,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    starts_at: Any,
    now: dt.datetime,
    exclude_pk: int | None = None,
) -> dt.datetime:
    """Checks that need no lock; returns the normalized aware start.

    Availability (templates, blocks, reserved windows, exceptions, the provider working at the location)
    is the slot engine's ``slot_check``; the busy/cap/resource rules it also reports are checked again
    under the provider lock in ``_place``, where overbooking and holds are decided.
    """
    if not isinstance(starts_at, dt.datetime) or timezone.is_naive(starts_at):
        raise _invalid("starts_at", "Give the start as a date and time with its timezone.")
    if not appointment_type.is_active:
        raise _invalid("appointment_type", MSG_TYPE_INACTIVE)
    if not provider.is_active:
        raise _invalid("provider", MSG_PROVIDER_INACTIVE)
    if not location.is_active:
        raise _invalid("location", MSG_LOCATION_INACTIVE)
    if not provider_takes_type(provider, appointment_type):
        raise _invalid("appointment_type", MSG_PROVIDER_TYPE)
    start = starts_at.astimezone(dt.UTC)
    if start < now - _grace():
        raise _invalid("starts_at", MSG_PAST)
    grid = _grid_minutes()
    if start.second or start.microsecond or start.astimezone(location.tzinfo).minute % grid:
        raise _invalid("starts_at", MSG_OFF_GRID.format(grid=grid))
    verdict = slot_check(
        provider_id=provider.pk,
        location_id=location.pk,
        appointment_type=appointment_type,
        starts_at=start,
        now=min(now, start),  # inside the grace period the start itself is "now"
        exclude_appointment_id=exclude_pk,
    )
    if verdict.reason == av.RESERVED:
        raise _invalid("starts_at", MSG_RESERVED)
    if verdict.reason in _OUTSIDE_REASONS:
        raise _invalid("starts_at", MSG_OUTSIDE)
    return start


def _patient_kind_check(
    *,
    patient: Patient,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    now: dt.datetime,
    override_reason: str,
    earlier_override: Callable[[], bool] | None = None,
) -> str:
    """Refuse a new-patient type for an established patient and vice versa (CMS, 3 years).

    Returns "" when the type fits, or the refusal code that ``override_reason`` (or an override
    given when the appointment was booked, ``earlier_override``) lets through, for the history.
    """
    if appointment_type.patient_kind == PatientKind.ANY:
        return ""
    established = patient_is_established(
        patient_visit_keys(patient.pk, now), location.organization_id, provider.specialty
    )
    code = patient_kind_refusal(appointment_type.patient_kind, established=established)
    if code is None:
        return ""
    if override_reason or (earlier_override is not None and earlier_override()):
        return code
    raise ValidationFailed(
        MSG_PATIENT_KIND[code], code=code, fields={"appointment_type": [MSG_PATIENT_KIND[code]]}
    )


def _place(
    *,
    actor: Any,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    now: dt.datetime,
    overbook_reason: str,
    exclude_pk: int | None,
    keep_room_pk: int | None = None,
    keep_equipment_pk: int | None = None,
) -> _Placement:
    """Checks made under the provider lock: holds, provider busy, cap, resources."""
    end = start + appointment_type.duration
    span = _Span(start - appointment_type.buffer_before, end + appointment_type.buffer_after)
    if _blocking_holds(actor, provider, span, now):
        raise SlotTaken()
    is_overbook = False
    if _provider_clashes(provider, span, exclude_pk=exclude_pk):
        if not overbook_reason:
            raise SlotTaken()
        if not (actor.can(OVERBOOK) or provider.allows_overbooking):
            raise PermissionDenied(MSG_OVERBOOK_DENIED)
        is_overbook = True
    cap = appointment_type.daily_cap_per_provider
    if (
        cap is not None
        and not is_overbook
        and _daily_count(provider, location, appointment_type, start, exclude_pk) >= cap
    ):
        raise _invalid("starts_at", MSG_DAILY_CAP)
    room: Room | Equipment | None = None
    equipment: Room | Equipment | None = None
    if appointment_type.required_room_kind:
        room = _free_resource(
            Room,
            location=location,
            kind=appointment_type.required_room_kind,
            start=start,
            end=end,
            exclude_pk=exclude_pk,
            prefer_pk=keep_room_pk,
        )
        if room is None and not is_overbook:
            raise Conflict(MSG_NO_ROOM, code="no_room")
    if appointment_type.required_equipment_kind:
        equipment = _free_resource(
            Equipment,
            location=location,
            kind=appointment_type.required_equipment_kind,
            start=start,
            end=end,
            exclude_pk=exclude_pk,
            prefer_pk=keep_equipment_pk,
        )
        if equipment is None and not is_overbook:
            raise Conflict(MSG_NO_EQUIPMENT, code="no_equipment")
    assert room is None or isinstance(room, Room)
    assert equipment is None or isinstance(equipment, Equipment)
    return _Placement(room=room, equipment=equipment, is_overbook=is_overbook)


def _save_guarded(appointment: Appointment, **save_kwargs: Any) -> None:
    """Save inside a savepoint; map the database's overlap refusals to domain errors."""
    try:
        with transaction.atomic():
            appointment.save(**save_kwargs)
    except IntegrityError as exc:
        text = str(exc)
        if "appointment_no_patient_overlap" in text:
            raise PatientDoubleBooked() from None
        if "overlap" in text:
            raise SlotTaken() from None
        raise


def _event(
    appointment: Appointment,
    *,
    actor: Any,
    kind: str,
    at: dt.datetime,
    from_status: str = "",
    old_starts_at: dt.datetime | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> AppointmentEvent:
    return AppointmentEvent.objects.create(
        appointment=appointment,
        at=at,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=appointment.status,
        old_starts_at=old_starts_at,
        new_starts_at=appointment.starts_at,
        reason=reason[:200],
        detail=detail or {},
    )


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


# --- services ------------------------------------------------------------------------------------


def appointment_book(
    *,
    actor: Any,
    patient: Patient,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    overbook_reason: str = "",
    hold_id: int | None = None,
    idempotency_key: str = "",
    patient_kind_override_reason: str = "",
) -> Appointment:
    """Book ``patient`` with ``provider`` at ``location``; raises SlotTaken when the time is gone.

    A new-patient type for an established patient (or the reverse) is refused unless
    ``patient_kind_override_reason`` says why; the reason goes into the appointment's history.
    """
    _require(actor, BOOK)
    _require_location(actor, location, BOOK)
    overbook_reason = (overbook_reason or "").strip()
    kind_override_reason = (patient_kind_override_reason or "").strip()[:200]
    idempotency_key = (idempotency_key or "").strip()[:80]
    if idempotency_key:
        existing = _idempotent_replay(
            actor, idempotency_key, patient, provider, location, appointment_type, starts_at
        )
        if existing is not None:
            return existing
    if patient.merged_into_id is not None:
        raise _invalid("patient", MSG_PATIENT_MERGED)
    if not patient.is_active:
        raise _invalid("patient", MSG_PATIENT_INACTIVE)
    now = timezone.now()
    start = _validate_common(
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        starts_at=starts_at,
        now=now,
    )
    kind_override = _patient_kind_check(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        now=now,
        override_reason=kind_override_reason,
    )
    end = start + appointment_type.duration
    try:
        with transaction.atomic():
            _lock_providers(provider)
            hold = _own_hold(actor, hold_id, provider, location, appointment_type, start, now)
            if _patient_clash(patient, start, end, None):
                raise PatientDoubleBooked()
            placement = _place(
                actor=actor,
                provider=provider,
                location=location,
                appointment_type=appointment_type,
                start=start,
                now=now,
                overbook_reason=overbook_reason,
                exclude_pk=None,
            )
            appointment = Appointment(
                patient=patient,
                provider=provider,
                location=location,
                appointment_type=appointment_type,
                starts_at=start,
                ends_at=end,
                status=AppointmentStatus.BOOKED,
                room=placement.room,
                equipment=placement.equipment,
                is_overbook=placement.is_overbook,
                overbook_reason=overbook_reason if placement.is_overbook else "",
                booked_by=actor,
                idempotency_key=idempotency_key,
            )
            _save_guarded(appointment, force_insert=True)
            consumed = _consume_holds(actor, provider, start, end, now, hold)
            _event(
                appointment,
                actor=actor,
                kind=EventKind.BOOKED,
                at=now,
                reason=appointment.overbook_reason,
                detail={
                    "holds_consumed": consumed,
                    "is_overbook": appointment.is_overbook,
                    **_kind_override_detail(kind_override, kind_override_reason),
                },
            )
            _audit(
                actor,
                appointment,
                AuditAction.CREATE,
                "booked",
                provider_id=provider.pk,
                location_id=location.pk,
                appointment_type_id=appointment_type.pk,
                is_overbook=appointment.is_overbook,
                # The code only: the free-text reason stays in the appointment's own history.
                **({"patient_kind_override": kind_override} if kind_override else {}),
            )
    except IntegrityError:
        # Only the idempotency key can get here (overlaps are mapped in _save_guarded): a concurrent
        # request with the same key won; answer with its appointment.
        replay = _idempotent_replay(
            actor, idempotency_key, patient, provider, location, appointment_type, starts_at
        )
        if replay is None:
            raise
        return replay
    return appointment


def _kind_override_detail(code: str, reason: str) -> dict[str, str]:
    if not code:
        return {}
    return {"patient_kind_override": code, "patient_kind_override_reason": reason}


def _booked_with_kind_override(appointment: Appointment) -> bool:
    return AppointmentEvent.objects.filter(
        appointment=appointment, detail__has_key="patient_kind_override"
    ).exists()


def _idempotent_replay(
    actor: Any,
    key: str,
    patient: Patient,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    starts_at: Any,
) -> Appointment | None:
    if not key:
        return None
    existing = Appointment.objects.filter(booked_by_id=actor.pk, idempotency_key=key).first()
    if existing is None:
        return None
    same = (
        existing.patient_id == patient.pk
        and existing.provider_id == provider.pk
        and existing.location_id == location.pk
        and existing.appointment_type_id == appointment_type.pk
        and isinstance(starts_at, dt.datetime)
        and existing.starts_at == starts_at
    )
    if not same:
        raise Conflict(MSG_IDEMPOTENCY_REUSED, code="idempotency_key_reused")
    return existing


def _own_hold(
    actor: Any,
    hold_id: int | None,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    start: dt.datetime,
    now: dt.datetime,
) -> SlotHold | None:
    if hold_id is None:
        return None
    hold = (
        SlotHold.objects.select_for_update()
        .filter(
            pk=hold_id,
            held_by_id=actor.pk,
            released_at__isnull=True,
            expires_at__gt=now,
            provider=provider,
            location=location,
            appointment_type=appointment_type,
            starts_at=start,
        )
        .first()
    )
    if hold is None:
        raise Conflict(MSG_HOLD_INVALID, code="hold_invalid")
    return hold


def _consume_holds(
    actor: Any,
    provider: Provider,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    hold: SlotHold | None,
) -> int:
    """The actor's own live holds on this provider and time are used up by the booking."""
    rows = SlotHold.objects.filter(
        held_by_id=actor.pk,
        provider=provider,
        released_at__isnull=True,
        expires_at__gt=now,
        starts_at__lt=end,
        ends_at__gt=start,
    )
    if hold is not None:
        rows = rows | SlotHold.objects.filter(pk=hold.pk)
    return SlotHold.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).update(
        released_at=now
    )


def _lock_appointment(appointment: Appointment) -> Appointment:
    # of=("self",): a bare FOR UPDATE with joins would also lock the provider, type, location and
    # patient rows, which every booking's foreign-key checks need (KEY SHARE) and whose provider row
    # bookings lock first: under concurrent booking and cancelling that serialized everything and
    # deadlocked (benchmarks/scheduling_contention.py found it).
    locked = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("appointment_type", "provider", "location", "patient")
        .get(pk=appointment.pk)
    )
    if locked.status not in OPEN_STATUSES:
        raise Conflict(MSG_NOT_OPEN, code="not_open")
    return locked


def appointment_reschedule(
    *,
    actor: Any,
    appointment: Appointment,
    starts_at: dt.datetime,
    provider: Provider | None = None,
    location: Location | None = None,
    patient_kind_override_reason: str = "",
) -> Appointment:
    """Move an appointment (time, and optionally provider/location) with the same guarantees as booking.

    The new/established patient rule is checked again for the new provider; an override given when
    the appointment was booked (or rescheduled) carries over.
    """
    _require(actor, BOOK)
    _require_location(actor, appointment.location, BOOK)
    new_provider = provider or appointment.provider
    new_location = location or appointment.location
    if new_location.pk != appointment.location_id:
        _require_location(actor, new_location, BOOK)
    kind = appointment.appointment_type
    now = timezone.now()
    start = _validate_common(
        provider=new_provider,
        location=new_location,
        appointment_type=kind,
        starts_at=starts_at,
        now=now,
        exclude_pk=appointment.pk,
    )
    kind_override_reason = (patient_kind_override_reason or "").strip()[:200]
    kind_override = ""
    if kind.patient_kind != PatientKind.ANY:
        kind_override = _patient_kind_check(
            patient=appointment.patient,
            provider=new_provider,
            location=new_location,
            appointment_type=kind,
            now=now,
            override_reason=kind_override_reason,
            earlier_override=lambda: _booked_with_kind_override(appointment),
        )
    end = start + kind.duration
    with transaction.atomic():
        _lock_providers(new_provider, appointment.provider)
        current = _lock_appointment(appointment)
        if _patient_clash(current.patient, start, end, current.pk):
            raise PatientDoubleBooked()
        same_place = new_location.pk == current.location_id
        placement = _place(
            actor=actor,
            provider=new_provider,
            location=new_location,
            appointment_type=kind,
            start=start,
            now=now,
            overbook_reason="",
            exclude_pk=current.pk,
            keep_room_pk=current.room_id if same_place else None,
            keep_equipment_pk=current.equipment_id if same_place else None,
        )
        old_start, old_provider_id, old_location_id = (
            current.starts_at,
            current.provider_id,
            current.location_id,
        )
        current.provider = new_provider
        current.location = new_location
        current.starts_at = start
        current.ends_at = end
        current.room = placement.room
        current.equipment = placement.equipment
        current.is_overbook = False
        current.overbook_reason = ""
        _save_guarded(current)
        _consume_holds(actor, new_provider, start, end, now, None)
        _event(
            current,
            actor=actor,
            kind=EventKind.RESCHEDULED,
            at=now,
            from_status=current.status,
            old_starts_at=old_start,
            detail={
                "old_provider_id": old_provider_id,
                "old_location_id": old_location_id,
                "provider_id": new_provider.pk,
                "location_id": new_location.pk,
                **_kind_override_detail(kind_override, kind_override_reason or "(as booked)"),
            },
        )
        _audit(
            actor,
            current,
            AuditAction.UPDATE,
            "rescheduled",
            old_provider_id=old_provider_id,
            provider_id=new_provider.pk,
            old_location_id=old_location_id,
            location_id=new_location.pk,
        )
    appointment.refresh_from_db()
    return appointment


def appointment_cancel(
    *, actor: Any, appointment: Appointment, reason: str, cancelled_by: str
) -> Appointment:
    """Cancel with a reason code; a patient's cancellation close to the start is flagged late."""
    _require(actor, BOOK)
    _require_location(actor, appointment.location, BOOK)
    errors: dict[str, list[str]] = {}
    if reason not in CancellationReason.values:
        errors["reason"] = [MSG_CANCEL_REASON]
    if cancelled_by not in CancelledBy.values:
        errors["cancelled_by"] = [MSG_CANCELLED_BY]
    if errors:
        raise ValidationFailed("Please correct the highlighted fields.", fields=errors)
    now = timezone.now()
    with transaction.atomic():
        current = _lock_appointment(appointment)
        from_status = current.status
        current.status = AppointmentStatus.CANCELLED
        current.cancellation_reason = reason
        current.cancelled_by = cancelled_by
        current.is_late_cancel = (
            cancelled_by == CancelledBy.PATIENT and current.starts_at - now < _late_cancel_window()
        )
        current.save(
            update_fields=[
                "status",
                "cancellation_reason",
                "cancelled_by",
                "is_late_cancel",
                "updated_at",
            ]
        )
        _event(
            current,
            actor=actor,
            kind=EventKind.CANCELLED,
            at=now,
            from_status=from_status,
            reason=reason,
            detail={"cancelled_by": cancelled_by, "is_late_cancel": current.is_late_cancel},
        )
        _audit(
            actor,
            current,
            AuditAction.UPDATE,
            "cancelled",
            reason=reason,
            cancelled_by=cancelled_by,
            is_late_cancel=current.is_late_cancel,
        )
    appointment.refresh_from_db()
    return appointment


def appointment_mark_no_show(*, actor: Any, appointment: Appointment) -> Appointment:
    """The patient did not come: only after the start time, only from a booked state."""
    _require(actor, BOOK)
    _require_location(actor, appointment.location, BOOK)
    now = timezone.now()
    with transaction.atomic():
        current = _lock_appointment(appointment)
        if current.starts_at > now:
            raise Conflict(MSG_NOSHOW_EARLY, code="too_early")
        from_status = current.status
        current.status = AppointmentStatus.NOSHOW
        current.save(update_fields=["status", "updated_at"])
        _event(current, actor=actor, kind=EventKind.NO_SHOW, at=now, from_status=from_status)
        _audit(actor, current, AuditAction.UPDATE, "no_show")
    appointment.refresh_from_db()
    return appointment


def slot_hold(
    *,
    actor: Any,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    minutes: int = 5,
) -> SlotHold:
    """Claim a slot for ``minutes`` while a caller decides; it blocks everyone else until it expires."""
    _require(actor, BOOK)
    _require_location(actor, location, BOOK)
    if not isinstance(minutes, int) or not 1 <= minutes <= 30:
        raise _invalid("minutes", MSG_HOLD_MINUTES)
    now = timezone.now()
    start = _validate_common(
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        starts_at=starts_at,
        now=now,
    )
    end = start + appointment_type.duration
    with transaction.atomic():
        _lock_providers(provider)
        _place(
            actor=actor,
            provider=provider,
            location=location,
            appointment_type=appointment_type,
            start=start,
            now=now,
            overbook_reason="",
            exclude_pk=None,
        )
        hold = SlotHold.objects.create(
            provider=provider,
            location=location,
            appointment_type=appointment_type,
            starts_at=start,
            ends_at=end,
            expires_at=now + dt.timedelta(minutes=minutes),
            held_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.SCHEDULE,
            object_type="slot_hold",
            object_id=hold.pk,
            detail={"event": "held", "provider_id": provider.pk, "minutes": minutes},
        )
    return hold


def slot_hold_release(*, actor: Any, hold: SlotHold) -> None:
    """Give a hold back early (the holder or a colleague who books at that location)."""
    _require(actor, BOOK)
    _require_location(actor, hold.location, BOOK)
    now = timezone.now()
    with transaction.atomic():
        released = SlotHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
            released_at=now
        )
        if released:
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                category=AuditCategory.SCHEDULE,
                object_type="slot_hold",
                object_id=hold.pk,
                detail={"event": "released"},
            )
    hold.refresh_from_db()


__all__ = [
    "ACTIVE_STATUSES",
    "appointment_book",
    "appointment_cancel",
    "appointment_mark_no_show",
    "appointment_reschedule",
    "provider_takes_type",
    "slot_hold",
    "slot_hold_release",
]


def appointment_cancel_by_patient_reply(*, appointment: Appointment) -> Appointment:
    """Cancel at the patient's own request from an authenticated channel (an SMS reply "X").

    Same effect as ``appointment_cancel(cancelled_by="patient", reason="patient_request")`` but with
    no staff actor: the caller (notifications) has already tied the sender to this patient and this
    appointment. History and audit name no user.
    """
    now = timezone.now()
    with transaction.atomic():
        current = _lock_appointment(appointment)
        from_status = current.status
        current.status = AppointmentStatus.CANCELLED
        current.cancellation_reason = CancellationReason.PATIENT_REQUEST
        current.cancelled_by = CancelledBy.PATIENT
        current.is_late_cancel = current.starts_at - now < _late_cancel_window()
        current.save(
            update_fields=[
                "status",
                "cancellation_reason",
                "cancelled_by",
                "is_late_cancel",
                "updated_at",
            ]
        )
        _event(
            current,
            actor=None,
            kind=EventKind.CANCELLED,
            at=now,
            from_status=from_status,
            reason=CancellationReason.PATIENT_REQUEST,
            detail={
                "cancelled_by": CancelledBy.PATIENT,
                "is_late_cancel": current.is_late_cancel,
                "via": "sms_reply",
            },
        )
        _audit(
            None,
            current,
            AuditAction.UPDATE,
            "cancelled",
            reason=CancellationReason.PATIENT_REQUEST,
            cancelled_by=CancelledBy.PATIENT,
            is_late_cancel=current.is_late_cancel,
            via="sms_reply",
        )
    appointment.refresh_from_db()
    return appointment


# Status moves the front desk's patient flow makes (frontdesk.visits): the patient checked in, seen,
# or a check-in undone. Anything else (cancel, no-show, reschedule) has its own service above.
_FLOW_STATUS_MOVES: frozenset[tuple[str, str]] = frozenset(
    {
        (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
        (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED),  # self check-in at the kiosk
        (AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN),
        (AppointmentStatus.CHECKED_IN, AppointmentStatus.FULFILLED),
        (AppointmentStatus.FULFILLED, AppointmentStatus.CHECKED_IN),
        (AppointmentStatus.CHECKED_IN, AppointmentStatus.BOOKED),
        (AppointmentStatus.ARRIVED, AppointmentStatus.BOOKED),  # a kiosk arrival undone at the desk
    }
)
MSG_FLOW_STATUS = "This appointment cannot move from {old} to {new}."


def appointment_flow_status_set(
    *, actor: Any, appointment: Appointment, status: str, reason: str = ""
) -> Appointment:
    """Set the FHIR status that mirrors the patient's flow (checked-in, fulfilled, booked on undo).

    Called by the visits services inside their transaction, which write the one audit row of the
    business event; this writes the appointment's own history (a ``status_changed`` event).
    """
    current = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    if current.status == status:
        return current
    if (current.status, status) not in _FLOW_STATUS_MOVES:
        raise Conflict(
            MSG_FLOW_STATUS.format(old=current.status, new=status), code="status_not_allowed"
        )
    from_status = current.status
    current.status = status
    current.save(update_fields=["status", "updated_at"])
    _event(
        current,
        actor=actor,
        kind=EventKind.STATUS_CHANGED,
        at=timezone.now(),
        from_status=from_status,
        reason=reason,
    )
    appointment.status = current.status
    appointment.updated_at = current.updated_at
    return current
