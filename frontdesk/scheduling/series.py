"""Recurring series: book, cancel and move occurrences of a weekly series.

Every occurrence is its own ``Appointment`` row linked to an ``AppointmentSeries``; each one goes
through the normal booking services (``appointment_book`` / ``appointment_reschedule`` /
``appointment_cancel``), so every occurrence change passes the same checks, writes its own
``AppointmentEvent`` and its own audit row (category "schedule"). Dates that cannot be booked or moved
are REPORTED, one ``OccurrenceConflict`` each with the reason, never silently skipped.

Occurrences repeat at the same local wall time in the location's timezone (a weekly 09:00 visit stays
at 09:00 across a daylight-saving change).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import Conflict, ValidationFailed
from frontdesk.core.queryset import get_restricted
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling import availability as av
from frontdesk.scheduling.choices import OPEN_STATUSES
from frontdesk.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    ScheduleException,
)
from frontdesk.scheduling.services import (
    BOOK,
    MSG_OUTSIDE,
    _require,
    _require_location,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)

MAX_COUNT = 52
MAX_INTERVAL_WEEKS = 12
MSG_COUNT = f"A series has between 1 and {MAX_COUNT} occurrences."
MSG_INTERVAL = f"Repeat every 1 to {MAX_INTERVAL_WEEKS} weeks."
MSG_SCOPE = "Choose which occurrences: this one, this and following, or all."
MSG_NOT_SERIES = "This appointment is not part of a series."
MSG_DST_GAP = "That wall time does not exist on this date (daylight-saving change)."
MSG_TIME = "Give the new time of day."
MSG_UNTIL_BEFORE = "The last date cannot be before the first one."

Scope = Literal["this", "following", "all"]
SCOPES: tuple[str, ...] = ("this", "following", "all")


@dataclass(frozen=True)
class OccurrenceConflict:
    """One date of the series that could not be booked or moved, and why (safe to show a user)."""

    starts_at: dt.datetime
    code: str
    message: str
    appointment_id: int | None = None


@dataclass
class SeriesResult:
    """What a series call did: ``booked`` (or moved) occurrences and every ``conflicts`` date."""

    series: AppointmentSeries | None
    booked: list[Appointment] = field(default_factory=list)
    conflicts: list[OccurrenceConflict] = field(default_factory=list)


class _RollBack(Exception):
    """Internal: undo the whole call (all-or-nothing) after the conflicts were collected."""


def _occurrence_starts(
    first_start: dt.datetime, tz: Any, interval_weeks: int, count: int
) -> list[tuple[dt.datetime, bool]]:
    """(aware start, wall time exists) for each occurrence, at the first one's local wall time."""
    local = first_start.astimezone(tz)
    wall = local.time().replace(tzinfo=None)
    starts = []
    for index in range(count):
        day = local.date() + dt.timedelta(weeks=interval_weeks * index)
        exists = av.is_wall_time_valid(day, wall, tz)
        starts.append((av.wall_to_utc(day, wall, tz), exists))
    return starts


def _conflict(start: dt.datetime, exc: ValidationFailed | Conflict, pk: int | None = None) -> Any:
    return OccurrenceConflict(
        starts_at=start, code=exc.code, message=exc.message, appointment_id=pk
    )


def _time_off_reason(
    *, provider: Provider, location: Location, starts_at: dt.datetime, minutes: int
) -> str:
    """The label of the time off (holiday, vacation, ...) covering that time, or ""."""
    end = starts_at + dt.timedelta(minutes=minutes)
    away = (
        ScheduleException.objects.filter(starts_at__lt=end, ends_at__gt=starts_at)
        .filter(
            Q(provider=provider, location=location)
            | Q(provider=provider, location__isnull=True)
            | Q(provider__isnull=True, location=location)
        )
        .order_by("starts_at", "pk")
        .first()
    )
    return away.get_reason_display() if away is not None else ""


def _explained(
    conflict: OccurrenceConflict,
    *,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
) -> OccurrenceConflict:
    """Name the time off (e.g. "Holiday") when a date is outside availability because of it."""
    if conflict.message != MSG_OUTSIDE:
        return conflict
    label = _time_off_reason(
        provider=provider,
        location=location,
        starts_at=conflict.starts_at,
        minutes=appointment_type.duration_minutes,
    )
    if not label:
        return conflict
    return OccurrenceConflict(
        starts_at=conflict.starts_at,
        code=conflict.code,
        message=f"{MSG_OUTSIDE[:-1]}: time off ({label}).",
        appointment_id=conflict.appointment_id,
    )


def series_book(
    *,
    actor: Any,
    patient: Patient,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    first_start: dt.datetime,
    interval_weeks: int = 1,
    count: int,
    all_or_nothing: bool = False,
) -> SeriesResult:
    """Book ``count`` occurrences every ``interval_weeks`` weeks from ``first_start``.

    Each free date is booked; each date that is not is reported in ``conflicts`` with its reason.
    With ``all_or_nothing`` a single conflict books nothing (the conflicts are still all reported).
    When no date can be booked, no series row is left behind (``series`` is None).
    """
    _require(actor, BOOK)
    _require_location(actor, location, BOOK)
    errors: dict[str, list[str]] = {}
    if not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        errors["count"] = [MSG_COUNT]
    if not isinstance(interval_weeks, int) or not 1 <= interval_weeks <= MAX_INTERVAL_WEEKS:
        errors["interval_weeks"] = [MSG_INTERVAL]
    if not isinstance(first_start, dt.datetime) or timezone.is_naive(first_start):
        errors["first_start"] = ["Give the first start as a date and time with its timezone."]
    if errors:
        raise ValidationFailed("Please correct the highlighted fields.", fields=errors)
    result = SeriesResult(series=None)
    try:
        with transaction.atomic():
            series = AppointmentSeries.objects.create(
                patient=patient,
                provider=provider,
                location=location,
                appointment_type=appointment_type,
                interval_weeks=interval_weeks,
                count=count,
                created_by=actor,
            )
            for start, exists in _occurrence_starts(
                first_start, location.tzinfo, interval_weeks, count
            ):
                if not exists:
                    result.conflicts.append(OccurrenceConflict(start, "dst_gap", MSG_DST_GAP))
                    continue
                try:
                    with transaction.atomic():
                        appointment = appointment_book(
                            actor=actor,
                            patient=patient,
                            provider=provider,
                            location=location,
                            appointment_type=appointment_type,
                            starts_at=start,
                        )
                        Appointment.objects.filter(pk=appointment.pk).update(series=series)
                        appointment.series = series
                except (ValidationFailed, Conflict) as exc:
                    result.conflicts.append(
                        _explained(
                            _conflict(start, exc),
                            provider=provider,
                            location=location,
                            appointment_type=appointment_type,
                        )
                    )
                    continue
                result.booked.append(appointment)
            if not result.booked or (all_or_nothing and result.conflicts):
                raise _RollBack()
            result.series = series
    except _RollBack:
        result.booked = []
        result.series = None
    return result


class _PreviewDone(Exception):
    """Internal: undo a dry run once every date's verdict is known."""


@dataclass(frozen=True)
class OccurrenceVerdict:
    """One date of a proposed series: ``conflict`` is None when the date is free."""

    starts_at: dt.datetime
    conflict: OccurrenceConflict | None = None

    @property
    def is_free(self) -> bool:
        return self.conflict is None


def series_preview(
    *,
    actor: Any,
    patient: Patient,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    first_start: dt.datetime,
    interval_weeks: int = 1,
    count: int,
) -> list[OccurrenceVerdict]:
    """Every date ``series_book`` would try, each free or with the reason it is not; writes nothing.

    A dry run of ``series_book`` inside a transaction that is always rolled back: the verdicts come
    from exactly the checks a real booking makes (availability, holidays, taken times, caps, rooms),
    so a preview cannot disagree with the booking that follows it (unless someone books in between,
    which the booking then reports as a conflict).
    """
    verdicts: list[OccurrenceVerdict] = []
    try:
        with transaction.atomic():
            result = series_book(
                actor=actor,
                patient=patient,
                provider=provider,
                location=location,
                appointment_type=appointment_type,
                first_start=first_start,
                interval_weeks=interval_weeks,
                count=count,
            )
            conflicts = {conflict.starts_at: conflict for conflict in result.conflicts}
            for start, _exists in _occurrence_starts(
                first_start, location.tzinfo, interval_weeks, count
            ):
                verdicts.append(OccurrenceVerdict(start, conflicts.get(start)))
            raise _PreviewDone()
    except _PreviewDone:
        pass
    return verdicts


def series_count_until(
    *, first_start: dt.datetime, until: dt.date, interval_weeks: int, tz: Any
) -> int:
    """How many occurrences every ``interval_weeks`` weeks fall on or before the local date ``until``.

    Raises ``ValidationFailed`` (field "until") when that is none or more than the maximum.
    """
    if not isinstance(interval_weeks, int) or not 1 <= interval_weeks <= MAX_INTERVAL_WEEKS:
        raise ValidationFailed(MSG_INTERVAL, field="interval_weeks")
    first_day = first_start.astimezone(tz).date()
    if until < first_day:
        raise ValidationFailed(MSG_UNTIL_BEFORE, field="until")
    count = (until - first_day).days // (7 * interval_weeks) + 1
    if count > MAX_COUNT:
        raise ValidationFailed(MSG_COUNT, field="until")
    return count


def series_get(*, user: Any, series_id: int, action: str) -> AppointmentSeries:
    """One series the user may act on (out of scope looks absent: ``NotFound``); not audited here."""
    found: AppointmentSeries = get_restricted(
        AppointmentSeries.objects.all(), user, action, pk=series_id
    )
    return found


def series_read(*, user: Any, series_id: int) -> tuple[AppointmentSeries, list[Appointment]]:
    """A series and every occurrence row, for showing; one audit row ("read", schedule)."""
    series = series_get(user=user, series_id=series_id, action="schedule.view")
    rows = series_occurrences(series)
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.SCHEDULE,
        patient_id=series.patient_id,
        object_type="appointment_series",
        object_id=series.pk,
        detail={"occurrences": len(rows)},
    )
    return series, rows


def series_occurrences(series: AppointmentSeries) -> list[Appointment]:
    """Every occurrence row of ``series`` (any status), in time order."""
    return list(
        Appointment.objects.filter(series=series)
        .select_related("appointment_type", "provider", "location")
        .order_by("starts_at", "pk")
    )


def _targets(appointment: Appointment, scope: str, now: dt.datetime) -> list[Appointment]:
    """The occurrences ``scope`` names, in time order, still open (booked) and for "all" not past."""
    if scope not in SCOPES:
        raise ValidationFailed(MSG_SCOPE, field="scope")
    if scope == "this":
        return [appointment]
    if appointment.series_id is None:
        raise ValidationFailed(MSG_NOT_SERIES, field="scope")
    rows = Appointment.objects.filter(
        series_id=appointment.series_id, status__in=OPEN_STATUSES
    ).select_related("appointment_type", "location", "provider", "patient")
    if scope == "following":
        rows = rows.filter(starts_at__gte=appointment.starts_at)
    else:
        rows = rows.filter(starts_at__gte=min(now, appointment.starts_at))
    return list(rows.order_by("starts_at", "pk"))


def series_cancel(
    *, actor: Any, appointment: Appointment, scope: Scope, reason: str, cancelled_by: str
) -> list[Appointment]:
    """Cancel this occurrence, this and the following ones, or all open future ones; atomically.

    Each occurrence is cancelled through ``appointment_cancel`` (its own event and audit row).
    Occurrences already cancelled, fulfilled or no-show are left as they are.
    """
    _require(actor, BOOK)
    _require_location(actor, appointment.location, BOOK)
    now = timezone.now()
    targets = _targets(appointment, scope, now)
    cancelled = []
    with transaction.atomic():
        for target in targets:
            cancelled.append(
                appointment_cancel(
                    actor=actor, appointment=target, reason=reason, cancelled_by=cancelled_by
                )
            )
    return cancelled


def series_reschedule(
    *, actor: Any, appointment: Appointment, scope: Scope, new_start_time: dt.time
) -> SeriesResult:
    """Move this / this and following / all future occurrences to ``new_start_time`` (local), same day.

    Each occurrence goes through ``appointment_reschedule`` (every booking check). The call is atomic:
    if any occurrence cannot move, nothing moves, and every conflicting date is reported.
    """
    _require(actor, BOOK)
    _require_location(actor, appointment.location, BOOK)
    if not isinstance(new_start_time, dt.time):
        raise ValidationFailed(MSG_TIME, field="new_start_time")
    wall = new_start_time.replace(tzinfo=None, second=0, microsecond=0)
    now = timezone.now()
    targets = _targets(appointment, scope, now)
    series = (
        AppointmentSeries.objects.filter(pk=appointment.series_id).first()
        if appointment.series_id is not None
        else None
    )
    result = SeriesResult(series=series)
    try:
        with transaction.atomic():
            for target in targets:
                tz = target.location.tzinfo
                day = target.starts_at.astimezone(tz).date()
                new_start = av.wall_to_utc(day, wall, tz)
                if not av.is_wall_time_valid(day, wall, tz):
                    result.conflicts.append(
                        OccurrenceConflict(new_start, "dst_gap", MSG_DST_GAP, target.pk)
                    )
                    continue
                try:
                    with transaction.atomic():
                        moved = appointment_reschedule(
                            actor=actor, appointment=target, starts_at=new_start
                        )
                except (ValidationFailed, Conflict) as exc:
                    result.conflicts.append(_conflict(new_start, exc, target.pk))
                    continue
                result.booked.append(moved)
            if result.conflicts:
                raise _RollBack()
    except _RollBack:
        result.booked = []
        appointment.refresh_from_db()
    return result


__all__ = [
    "OccurrenceConflict",
    "OccurrenceVerdict",
    "SeriesResult",
    "series_book",
    "series_cancel",
    "series_count_until",
    "series_get",
    "series_occurrences",
    "series_preview",
    "series_read",
    "series_reschedule",
]
