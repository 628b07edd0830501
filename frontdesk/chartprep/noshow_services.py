"""Writes of no-show follow-up: the clock's automatic no-show marking, undoing it for a late
arrival, opening cases for same-day / late cancellations, outreach attempts, closing and rebooking.

Appointment status changes go through scheduling's own services where one exists
(``appointment_mark_no_show``); undoing a no-show has no scheduling service yet, so
``appointment_undo_no_show`` here writes the status, an ``AppointmentEvent`` and the audit row the way
scheduling's services do (see the report: it belongs in scheduling when that app takes it).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.accounts.models import User
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.chartprep.choices import (
    CaseKind,
    CaseOutcome,
    CaseStatus,
    OutreachChannel,
    OutreachOutcome,
)
from frontdesk.chartprep.models import NoShowCase, OutreachAttempt
from frontdesk.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from frontdesk.scheduling.choices import (
    ACTIVE_STATUSES,
    AppointmentStatus,
    CancelledBy,
    EventKind,
)
from frontdesk.scheduling.models import Appointment, AppointmentEvent
from frontdesk.scheduling.services import appointment_mark_no_show

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "noshow-system"
MSG_CHANNEL = "Choose how you reached out: call, SMS or e-mail."
MSG_OUTCOME = "Choose what came of it."
MSG_CLOSE_OUTCOME = "Choose an outcome to close the case."
MSG_CASE_CLOSED = "This case is already closed."
MSG_NOT_NOSHOW = "Only a visit marked no-show can be undone."
MSG_SLOT_TAKEN = "The slot was given to someone else: book the patient a new time."
MSG_UNDO_OTHER_DAY = (
    "A no-show can be undone only on the day of the visit; book the patient a new time instead."
)
MSG_NOTE = "Keep the note under 200 characters."
# How far back the clock looks for visits left booked (older ones are someone's data clean-up).
LOOKBACK = dt.timedelta(hours=24)


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def noshow_grace() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "NOSHOW_GRACE_MINUTES", 15)))


def noshow_system_user() -> User:
    """The service identity the clock marks no-shows as (no password, cannot log in)."""
    user, _ = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            "role": Role.PRACTICE_MANAGER,
            "is_service_account": True,
            "first_name": "No-show",
            "last_name": "(system)",
        },
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _fee_hook(name: str, appointment: Appointment) -> None:
    """Tell the practice's fee policy (statements, when installed) about a no-show or late cancel.

    Chart prep never imports statements at module level (the arrow points from statements to chart
    prep); the fee is posted by the no-show system user, which may post charges.
    """
    if not apps.is_installed("frontdesk.statements"):
        return
    from frontdesk.statements import fees

    getattr(fees, name)(actor=noshow_system_user(), appointment=appointment)


def _open_case(appointment: Appointment, kind: str, now: dt.datetime) -> NoShowCase | None:
    try:
        with transaction.atomic():
            case, created = NoShowCase.objects.get_or_create(
                appointment=appointment,
                defaults={
                    "patient_id": appointment.patient_id,
                    "location_id": appointment.location_id,
                    "kind": kind,
                    "opened_at": now,
                },
            )
    except IntegrityError:  # a concurrent run opened it
        return None
    return case if created else None


def noshows_mark_due(*, now: dt.datetime | None = None) -> int:
    """Mark visits still booked past start + grace as no-shows and open their cases (idempotent)."""
    now = now or timezone.now()
    system = noshow_system_user()
    due = list(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            starts_at__lte=now - noshow_grace(),
            starts_at__gte=now - LOOKBACK,
        )
        .select_related("location")
        .order_by("starts_at", "pk")
    )
    marked = 0
    for appointment in due:
        try:
            appointment_mark_no_show(actor=system, appointment=appointment)
        except DomainError as exc:  # checked in or cancelled meanwhile: nothing to do
            logger.info("noshow skip appointment=%s code=%s", appointment.pk, exc.code)
            continue
        _open_case(appointment, CaseKind.NO_SHOW, now)
        _fee_hook("noshow_marked", appointment)
        marked += 1
    return marked


def late_cancels_track(*, now: dt.datetime | None = None) -> int:
    """Open cases for the patients' same-day and late cancellations of the last day (idempotent)."""
    now = now or timezone.now()
    rows = (
        Appointment.objects.filter(
            status=AppointmentStatus.CANCELLED,
            cancelled_by=CancelledBy.PATIENT,
            is_late_cancel=True,
            updated_at__gte=now - LOOKBACK,
            noshow_case__isnull=True,
        )
        .select_related("location")
        .order_by("pk")
    )
    opened = 0
    for appointment in rows:
        tz = appointment.location.tzinfo
        same_day = (
            appointment.updated_at.astimezone(tz).date()
            == appointment.starts_at.astimezone(tz).date()
        )
        kind = CaseKind.SAME_DAY_CANCEL if same_day else CaseKind.LATE_CANCEL
        if _open_case(appointment, kind, now) is not None:
            _fee_hook("late_cancel_tracked", appointment)
            opened += 1
    return opened


def cases_close_rebooked(*, now: dt.datetime | None = None) -> int:
    """Close open cases whose patient has since booked another visit (one query to find them)."""
    now = now or timezone.now()
    closed = 0
    system = noshow_system_user()
    open_cases = NoShowCase.objects.filter(status=CaseStatus.OPEN)
    later = (
        Appointment.objects.filter(
            patient_id__in=open_cases.values("patient_id"),
            status__in=ACTIVE_STATUSES,
            starts_at__gte=now - LOOKBACK,
        )
        .order_by("created_at", "pk")
        .values("pk", "patient_id", "created_at")
    )
    booked_by_patient: dict[int, list[tuple[dt.datetime, int]]] = {}
    for row in later:
        booked_by_patient.setdefault(row["patient_id"], []).append((row["created_at"], row["pk"]))
    for case in open_cases.select_related("appointment").order_by("pk"):
        # Booked after the missed start (a no-show) or from the cancelling call on (a cancellation,
        # often rebooked in the same call, before the clock opened the case).
        since = (
            case.appointment.starts_at
            if case.kind == CaseKind.NO_SHOW
            else case.appointment.updated_at - dt.timedelta(minutes=1)
        )
        rebooked = next(
            (
                pk
                for created, pk in booked_by_patient.get(case.patient_id, [])
                if created > since and pk != case.appointment_id
            ),
            None,
        )
        if rebooked is None:
            continue
        with transaction.atomic():
            current = NoShowCase.objects.select_for_update().get(pk=case.pk)
            if current.status != CaseStatus.OPEN:
                continue
            current.status = CaseStatus.CLOSED
            current.outcome = CaseOutcome.REBOOKED
            current.closed_at = now
            current.closed_by = system
            current.rebooked_appointment_id = rebooked
            current.save()
            audit_record(
                actor=system,
                action=AuditAction.UPDATE,
                category=AuditCategory.SCHEDULE,
                patient_id=current.patient_id,
                object_type="noshow_case",
                object_id=current.pk,
                detail={"event": "noshow_case_rebooked", "appointment_id": rebooked},
            )
        closed += 1
    return closed


def outreach_record(
    *, actor: Any, case: NoShowCase, channel: str, outcome: str, note: str = ""
) -> OutreachAttempt:
    """Log one call or message; an outcome of "rebooked" or "declined" does not close by itself."""
    _require(actor, A.NOSHOW_WORK)
    errors: dict[str, list[str]] = {}
    if channel not in OutreachChannel.values:
        errors["channel"] = [MSG_CHANNEL]
    if outcome not in OutreachOutcome.values:
        errors["outcome"] = [MSG_OUTCOME]
    note = (note or "").strip()
    if len(note) > 200:
        errors["note"] = [MSG_NOTE]
    if errors:
        raise ValidationFailed("Please correct the highlighted fields.", fields=errors)
    with transaction.atomic():
        current = NoShowCase.objects.select_for_update().get(pk=case.pk)
        if current.status != CaseStatus.OPEN:
            raise Conflict(MSG_CASE_CLOSED, code="case_closed")
        attempt = OutreachAttempt.objects.create(
            case=current, at=timezone.now(), by=actor, channel=channel, outcome=outcome, note=note
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.SCHEDULE,
            patient_id=current.patient_id,
            object_type="noshow_case",
            object_id=current.pk,
            detail={"event": "noshow_outreach", "channel": channel, "outcome": outcome},
        )
    return attempt


def case_close(*, actor: Any, case: NoShowCase, outcome: str, note: str = "") -> NoShowCase:
    """Close a case; an outcome is required."""
    _require(actor, A.NOSHOW_WORK)
    if outcome not in CaseOutcome.values:
        raise ValidationFailed(MSG_CLOSE_OUTCOME, field="outcome")
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationFailed(MSG_NOTE, field="note")
    with transaction.atomic():
        current = NoShowCase.objects.select_for_update().get(pk=case.pk)
        if current.status != CaseStatus.OPEN:
            raise Conflict(MSG_CASE_CLOSED, code="case_closed")
        current.status = CaseStatus.CLOSED
        current.outcome = outcome
        current.note = note
        current.closed_at = timezone.now()
        current.closed_by = actor
        current.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.SCHEDULE,
            patient_id=current.patient_id,
            object_type="noshow_case",
            object_id=current.pk,
            detail={"event": "noshow_case_closed", "outcome": outcome},
        )
    return current


def appointment_undo_no_show(*, actor: Any, appointment: Appointment) -> Appointment:
    """The patient arrived late after all: back to booked (to be checked in), case closed."""
    _require(actor, A.NOSHOW_WORK)
    now = timezone.now()
    try:
        with transaction.atomic():
            current = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
            if current.status != AppointmentStatus.NOSHOW:
                raise Conflict(MSG_NOT_NOSHOW, code="not_noshow")
            tz = current.location.tzinfo
            if current.starts_at.astimezone(tz).date() != now.astimezone(tz).date():
                raise Conflict(MSG_UNDO_OTHER_DAY, code="undo_other_day")
            clash = (
                Appointment.objects.active()
                .overlapping(current.starts_at, current.ends_at)
                .filter(provider_id=current.provider_id)
                .exclude(pk=current.pk)
                .exists()
            )
            if clash and not current.is_overbook:
                raise Conflict(MSG_SLOT_TAKEN, code="slot_taken")
            current.status = AppointmentStatus.BOOKED
            current.save(update_fields=["status", "updated_at"])
            AppointmentEvent.objects.create(
                appointment=current,
                at=now,
                actor=actor,
                kind=EventKind.STATUS_CHANGED,
                from_status=AppointmentStatus.NOSHOW,
                to_status=AppointmentStatus.BOOKED,
                new_starts_at=current.starts_at,
                reason="Arrived late: no-show undone",
                detail={"event": "no_show_undone"},
            )
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                category=AuditCategory.SCHEDULE,
                patient_id=current.patient_id,
                object_type="appointment",
                object_id=current.pk,
                detail={"event": "no_show_undone"},
            )
            NoShowCase.objects.filter(appointment=current, status=CaseStatus.OPEN).update(
                status=CaseStatus.CLOSED,
                outcome=CaseOutcome.ARRIVED_LATE,
                closed_at=now,
                closed_by=actor,
            )
    except IntegrityError:  # PostgreSQL's exclusion constraint: someone else holds the slot now
        raise Conflict(MSG_SLOT_TAKEN, code="slot_taken") from None
    _fee_hook("noshow_undone", appointment)
    appointment.refresh_from_db()
    return appointment
