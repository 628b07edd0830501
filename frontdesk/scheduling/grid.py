"""The day / week schedule grid: what the schedule screens show, read in a constant number of queries.

Rows are 5-minute steps from the grid's first hour (row 1 is the header row, so a time ``t`` sits on
row ``2 + minutes(t - start) // 5``). The day has one column per provider (those with a template
window at the location that day or an appointment there) or, when asked, one column per room of the
location, appointments placed in the room they booked and those without a room in a last "No room"
column. Reads: location (scoped), templates, exceptions, appointments (with patient, type, provider
and room joined), and the providers or the rooms, whatever the number of columns or appointments.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.queryset import get_restricted
from frontdesk.practice.models import Location, Provider, Room
from frontdesk.scheduling import availability as av
from frontdesk.scheduling.choices import ACTIVE_STATUSES
from frontdesk.scheduling.models import Appointment, AvailabilityTemplate, ScheduleException

VIEW = "schedule.view"
STEP = 5  # minutes per grid row
SLOT_MINUTES = 15  # an empty, clickable cell every quarter hour
DEFAULT_FIRST_HOUR = 8
DEFAULT_LAST_HOUR = 17
BY_PROVIDER = "providers"
BY_ROOM = "rooms"
COLUMN_KINDS = (BY_PROVIDER, BY_ROOM)
NO_ROOM = "none"


@dataclass(slots=True)
class GridAppointment:
    """What a block of the day grid shows of one appointment: read as plain rows, not model
    instances (a busy day has hundreds; building models cost more than the SQL). The patient is
    only "Last, F." and the MRN (minimum necessary on a shared screen)."""

    pk: int
    provider_id: int
    room_id: int | None
    appointment_type_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    confirmation_status: str
    updated_at: dt.datetime
    patient_short: str
    mrn: str
    type_name: str
    local_start: dt.datetime
    provider_short: str = ""


_GRID_FIELDS = (
    "pk",
    "provider_id",
    "room_id",
    "appointment_type_id",
    "starts_at",
    "ends_at",
    "status",
    "confirmation_status",
    "updated_at",
    "patient__first_name",
    "patient__last_name",
    "patient__mrn",
    "appointment_type__name",
)


@dataclass
class Block:
    row: int
    span: int
    css: str
    label: str = ""
    appointment: GridAppointment | None = None
    starts_at: dt.datetime | None = None
    iso: str = ""  # starts_at as ISO 8601, computed once (the template shows it twice per slot)


@dataclass
class Column:
    """One column of the day: a provider's, or a room's (``room`` None and ``key`` "room-none" for the
    appointments that booked no room). ``key`` is what the page's move script reads."""

    key: str
    label: str
    provider: Provider | None = None
    room: Room | None = None
    blocks: list[Block] = field(default_factory=list)
    slots: list[Block] = field(default_factory=list)


@dataclass
class DayGrid:
    location: Location
    day: dt.date
    start: dt.datetime
    end: dt.datetime
    rows: int
    times: list[Block]
    columns: list[Column]
    version: str
    by: str = BY_PROVIDER


def _local_span(day: dt.date, tz: Any) -> tuple[dt.datetime, dt.datetime]:
    return (
        dt.datetime.combine(day, dt.time(0), tzinfo=tz),
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
    )


def _row(start: dt.datetime, instant: dt.datetime) -> int:
    return 2 + int((instant - start).total_seconds() // 60) // STEP


def _span(a: dt.datetime, b: dt.datetime) -> int:
    return max(1, math.ceil((b - a).total_seconds() / 60 / STEP))


def patient_short(patient: Any) -> str:
    """ "Last, F." — minimum necessary on a shared screen."""
    return _short_name(patient.first_name, patient.last_name)


def _short_name(first_name: str, last_name: str) -> str:
    return f"{last_name}, {(first_name or '?')[:1].upper()}."


def location_version(location_id: int, day_start: dt.datetime, day_end: dt.datetime) -> str:
    """Cheap change token for a location's day: latest change and row count (one query)."""
    agg = Appointment.objects.filter(
        location_id=location_id, starts_at__gte=day_start, starts_at__lt=day_end
    ).aggregate(latest=Max("updated_at"), n=Count("pk"))
    latest = agg["latest"].isoformat() if agg["latest"] else "-"
    return f"{agg['n']}.{latest}"


def day_version(*, user: Any, location_id: int, day: dt.date) -> str:
    location = get_restricted(Location.objects.all(), user, VIEW, pk=location_id)
    start, end = _local_span(day, location.tzinfo)
    return location_version(location.pk, start, end)


def _windows(
    templates: list[AvailabilityTemplate], tz: Any, day: dt.date
) -> dict[int, list[av.Window]]:
    out: dict[int, list[av.Window]] = {}
    for t in templates:
        rule = av.TemplateRule(
            t.weekday,
            t.start_time,
            t.end_time,
            t.effective_from,
            t.effective_until,
            t.kind,
            frozenset(),
            t.release_minutes_before,
            t.pk,
        )
        out.setdefault(t.provider_id, []).extend(av.expand_templates([rule], tz, day, day))
    return out


def _provider_label(provider: Provider) -> str:
    initial = (provider.first_name or "?")[:1]
    credentials = f" {provider.credentials}" if provider.credentials else ""
    return f"{provider.last_name}, {initial}.{credentials}"


def day_grid(
    *,
    user: Any,
    location_id: int,
    day: dt.date,
    by: str = BY_PROVIDER,
    audit: bool = True,
) -> DayGrid:
    """The schedule of one location on one local day; one audit row (query, no patient) per read.

    ``by`` is "providers" (one column per provider, with the empty bookable times) or "rooms" (one
    column per room; no bookable times, since a booking belongs to a provider)."""
    if by not in COLUMN_KINDS:
        by = BY_PROVIDER
    location = get_restricted(Location.objects.all(), user, VIEW, pk=location_id)
    tz = location.tzinfo
    day_start, day_end = _local_span(day, tz)
    templates = list(
        AvailabilityTemplate.objects.filter(location=location, weekday=day.weekday())
        .filter(effective_from__lte=day)
        .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=day))
        .filter(provider__is_active=True)
    )
    appointments = [
        GridAppointment(
            pk=pk,
            provider_id=provider_id,
            room_id=room_id,
            appointment_type_id=type_id,
            starts_at=starts_at,
            ends_at=ends_at,
            status=status,
            confirmation_status=confirmation_status,
            updated_at=updated_at,
            patient_short=_short_name(first_name, last_name),
            mrn=mrn,
            type_name=type_name,
            local_start=starts_at.astimezone(tz),
        )
        for (
            pk,
            provider_id,
            room_id,
            type_id,
            starts_at,
            ends_at,
            status,
            confirmation_status,
            updated_at,
            first_name,
            last_name,
            mrn,
            type_name,
        ) in Appointment.objects.restrict(user, VIEW)
        .filter(location=location, starts_at__gte=day_start, starts_at__lt=day_end)
        .order_by("starts_at", "pk")
        .values_list(*_GRID_FIELDS)
    ]
    exceptions = list(
        ScheduleException.objects.filter(starts_at__lt=day_end, ends_at__gt=day_start).filter(
            Q(location=location) | Q(location__isnull=True)
        )
    )
    windows = _windows(templates, tz, day)
    provider_ids = set(windows) | {a.provider_id for a in appointments}
    providers = {
        p.pk: p
        for p in Provider.objects.filter(pk__in=provider_ids).order_by(
            "last_name", "first_name", "pk"
        )
    }

    # Grid bounds: default office hours, widened to whatever is scheduled.
    first = dt.datetime.combine(day, dt.time(DEFAULT_FIRST_HOUR), tzinfo=tz)
    last = dt.datetime.combine(day, dt.time(DEFAULT_LAST_HOUR), tzinfo=tz)
    for ws in windows.values():
        for w in ws:
            first = min(first, w.interval.start.astimezone(tz))
            last = max(last, w.interval.end.astimezone(tz))
    for a in appointments:
        first = min(first, a.starts_at.astimezone(tz))
        last = max(last, min(a.ends_at.astimezone(tz), day_end))
    first = first.replace(minute=0, second=0, microsecond=0)
    if last.minute or last.second:
        last = last.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    last = min(last, day_end)
    start_utc, end_utc = first.astimezone(dt.UTC), last.astimezone(dt.UTC)
    rows = _span(start_utc, end_utc)

    times = []
    t = start_utc
    while t < end_utc:
        times.append(
            Block(_row(start_utc, t), 60 // STEP, "sched-hour", t.astimezone(tz).strftime("%H:%M"))
        )
        t += dt.timedelta(hours=1)

    if by == BY_ROOM:
        columns, column_of = _room_columns(location, appointments)
    else:
        columns, column_of = _provider_columns(
            list(providers.values()), windows, exceptions, appointments, start_utc, end_utc, tz
        )
    for a in appointments:
        end = min(a.ends_at, end_utc)
        css = f"sched-appt t-{a.appointment_type_id} s-{a.status}"
        if a.status not in ACTIVE_STATUSES:
            css += " sched-inactive"
        a.provider_short = _provider_label(providers[a.provider_id])
        column_of(a).blocks.append(
            Block(_row(start_utc, a.starts_at), _span(a.starts_at, end), css, appointment=a)
        )
    latest = max((a.updated_at for a in appointments), default=None)
    version = f"{len(appointments)}.{latest.isoformat() if latest else '-'}"
    if audit:
        detail: dict[str, Any] = {
            "view": "day",
            "location_id": location.pk,
            "date": day.isoformat(),
            "results": len(appointments),
        }
        if by == BY_ROOM:
            detail["columns"] = BY_ROOM
        audit_record(
            actor=user,
            action=AuditAction.QUERY,
            category=AuditCategory.SCHEDULE,
            object_type="appointment",
            detail=detail,
        )
    return DayGrid(location, day, start_utc, end_utc, rows, times, columns, version, by)


def _provider_columns(
    providers: list[Provider],
    windows: dict[int, list[av.Window]],
    exceptions: list[ScheduleException],
    appointments: list[GridAppointment],
    start_utc: dt.datetime,
    end_utc: dt.datetime,
    tz: Any,
) -> tuple[list[Column], Any]:
    """A column per provider working or booked that day: time off shaded, empty times bookable."""
    # Taken time per provider: an empty slot is one no active appointment covers.
    taken: dict[int, list[av.Interval]] = {}
    for a in appointments:
        if a.status in ACTIVE_STATUSES:
            taken.setdefault(a.provider_id, []).append(av.Interval(a.starts_at, a.ends_at))
    columns: list[Column] = []
    for provider in providers:
        col = Column(f"provider-{provider.pk}", _provider_label(provider), provider=provider)
        ws = windows.get(provider.pk, [])
        open_ = av.merge(w.interval for w in ws if w.kind != av.KIND_BLOCK)
        blocked = [w.interval for w in ws if w.kind == av.KIND_BLOCK]
        for ex in exceptions:
            if ex.provider_id in (None, provider.pk):
                blocked.append(av.Interval(max(ex.starts_at, start_utc), min(ex.ends_at, end_utc)))
        usable = av.subtract(open_, blocked)
        off = av.subtract([av.Interval(start_utc, end_utc)], usable)
        for iv in off:
            if iv.end > iv.start:
                col.blocks.append(
                    Block(_row(start_utc, iv.start), _span(iv.start, iv.end), "sched-off")
                )
        busy = av.merge(taken.get(provider.pk, []))
        for iv in usable:
            s = iv.start
            while s + dt.timedelta(minutes=STEP) <= iv.end:
                if not any(b.start <= s < b.end for b in busy):
                    col.slots.append(
                        Block(
                            _row(start_utc, s),
                            _span(s, min(s + dt.timedelta(minutes=SLOT_MINUTES), iv.end)),
                            "sched-slot",
                            s.astimezone(tz).strftime("%H:%M"),
                            starts_at=s,
                            iso=s.isoformat(),
                        )
                    )
                s += dt.timedelta(minutes=SLOT_MINUTES)
        columns.append(col)
    by_provider = {int(c.key.split("-")[1]): c for c in columns}
    return columns, lambda a: by_provider[a.provider_id]


def _room_columns(
    location: Location, appointments: list[GridAppointment]
) -> tuple[list[Column], Any]:
    """A column per room of the location (active ones, and any other a booking holds that day), and
    a last "No room" column when an appointment booked none."""
    rooms = {r.pk: r for r in Room.objects.filter(location=location).order_by("name", "pk")}
    booked = {a.room_id for a in appointments}
    columns = [
        Column(f"room-{r.pk}", r.name, room=r)
        for r in rooms.values()
        if r.is_active or r.pk in booked
    ]
    by_room: dict[int | None, Column] = {int(c.key.split("-")[1]): c for c in columns}
    if None in booked:
        unassigned = Column(f"room-{NO_ROOM}", "No room")
        columns.append(unassigned)
        by_room[None] = unassigned
    return columns, lambda a: by_room[a.room_id]


@dataclass
class WeekDay:
    day: dt.date
    appointments: list[Appointment]


def provider_week(
    *, user: Any, provider_id: int, location_id: int, monday: dt.date
) -> list[WeekDay]:
    """One provider's appointments at a location, Monday to Sunday; one audit row."""
    location = get_restricted(Location.objects.all(), user, VIEW, pk=location_id)
    provider = get_restricted(Provider.objects.all(), user, VIEW, pk=provider_id)
    tz = location.tzinfo
    start, _ = _local_span(monday, tz)
    _, end = _local_span(monday + dt.timedelta(days=6), tz)
    rows = list(
        Appointment.objects.restrict(user, VIEW)
        .filter(location=location, provider=provider, starts_at__gte=start, starts_at__lt=end)
        .select_related("patient", "appointment_type")
        .order_by("starts_at", "pk")
    )
    days = [WeekDay(monday + dt.timedelta(days=n), []) for n in range(7)]
    for a in rows:
        local = a.starts_at.astimezone(tz)
        a.patient_short = patient_short(a.patient)  # type: ignore[attr-defined]
        a.local_start = local  # type: ignore[attr-defined]
        days[(local.date() - monday).days].appointments.append(a)
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        object_type="appointment",
        detail={
            "view": "week",
            "location_id": location.pk,
            "provider_id": provider.pk,
            "date": monday.isoformat(),
            "results": len(rows),
        },
    )
    return days
