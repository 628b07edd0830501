"""Availability arithmetic: pure Python, no Django.

Everything here works on plain dataclasses so it can be tested exhaustively (Hypothesis) and reused by
both slot search (``slots.py``) and booking (``services.py`` asks :func:`is_bookable`).

Rules (see docs/architecture.md and the scheduling contract):

- Instants are aware datetimes; intervals are half-open ``[start, end)``, so back-to-back is fine.
- Templates are weekly wall-clock patterns evaluated in the location's timezone. A wall time in the
  spring-forward gap does not exist: a window edge that falls in the gap is clipped to the transition
  instant (a window wholly inside the gap disappears). In the fall-back overlap an ambiguous wall time
  means its FIRST occurrence (``fold=0``), so a window spanning the overlap lasts its real length.
- A window usable by an appointment type: every open/reserved window that allows the type, minus every
  window that does not allow it (a "new patients only 9-11" window carves 9-11 out of a general 8-12
  window for established patients; a reserved window keeps other types out until
  ``start - release_minutes_before``). Blank ``type_ids`` means every type is allowed.
- A start ``s`` is bookable when ``[s - buffer_before, s + duration + buffer_after)`` lies inside usable
  time minus blocks, exceptions and busy intervals (appointments with their own buffers, live holds),
  the patient has nothing overlapping ``[s, s + duration)``, the provider's daily cap for the type is
  not reached on that local date, and a room/equipment of the required kind is free when one is needed.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

UTC = dt.UTC
DEFAULT_GRID_MINUTES = 5

KIND_OPEN = "open"
KIND_BLOCK = "block"
KIND_RESERVED = "reserved"

# Reason codes returned by ``is_bookable`` (stable: booking maps them to error messages).
OK = "ok"
IN_PAST = "in_past"
OFF_GRID = "off_grid"
OUTSIDE_AVAILABILITY = "outside_availability"
TYPE_NOT_ALLOWED = "type_not_allowed"
RESERVED = "reserved"
BLOCKED = "blocked"
BUSY = "busy"
DAILY_CAP = "daily_cap"
PATIENT_BUSY = "patient_busy"
NO_ROOM = "no_room"
NO_EQUIPMENT = "no_equipment"


# --------------------------------------------------------------------------------------------------
# Intervals


@dataclass(frozen=True, order=True, slots=True)
class Interval:
    """A half-open span of time ``[start, end)`` between two aware datetimes."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Interval needs aware datetimes.")
        if self.end < self.start:
            raise ValueError("Interval end is before its start.")

    @property
    def is_empty(self) -> bool:
        return self.end <= self.start

    def overlaps(self, other: Interval) -> bool:
        """Share some time (an empty interval shares time with nothing)."""
        return (
            self.start < other.end
            and other.start < self.end
            and self.start < self.end
            and other.start < other.end
        )

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping, non-touching union (touching intervals join: [1,2)+[2,3) = [1,3))."""
    result: list[Interval] = []
    for item in sorted(i for i in intervals if not i.is_empty):
        if result and item.start <= result[-1].end:
            if item.end > result[-1].end:
                result[-1] = Interval(result[-1].start, item.end)
        else:
            result.append(item)
    return result


def subtract(base: Iterable[Interval], remove: Iterable[Interval]) -> list[Interval]:
    """``base`` minus ``remove`` as a merged list (linear sweep over the two merged lists)."""
    result: list[Interval] = []
    cuts = merge(remove)
    index = 0
    for item in merge(base):
        start = item.start
        while index < len(cuts) and cuts[index].end <= start:
            index += 1
        probe = index
        while probe < len(cuts) and cuts[probe].start < item.end:
            cut = cuts[probe]
            if cut.start > start:
                result.append(Interval(start, cut.start))
            start = max(start, cut.end)
            probe += 1
        if start < item.end:
            result.append(Interval(start, item.end))
    return result


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Common time of two interval sets, merged."""
    left, right = merge(a), merge(b)
    result: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i].start, right[j].start)
        end = min(left[i].end, right[j].end)
        if start < end:
            result.append(Interval(start, end))
        if left[i].end < right[j].end:
            i += 1
        else:
            j += 1
    return result


def covers(intervals: Sequence[Interval], span: Interval) -> bool:
    """True when ``span`` lies inside one interval of a MERGED list."""
    return any(item.contains(span) for item in intervals)


def overlaps_any(intervals: Iterable[Interval], span: Interval) -> bool:
    return any(item.overlaps(span) for item in intervals)


# --------------------------------------------------------------------------------------------------
# Wall-clock time -> UTC, DST aware


def _exists(naive: dt.datetime, tz: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


@functools.lru_cache(maxsize=65536)
def wall_to_utc(day: dt.date, wall: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of a local wall time; gap times clip to the transition, overlaps take fold=0."""
    naive = dt.datetime.combine(day, wall)
    if _exists(naive, tz):
        return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    # In the spring-forward gap: fold=1 reads it with the offset after the change (an instant before
    # the transition), fold=0 with the offset before it (an instant after). The transition is the
    # first whole minute in between whose local reading has the later offset.
    low = int(naive.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp()) // 60
    high = -(-int(naive.replace(tzinfo=tz, fold=0).astimezone(UTC).timestamp()) // 60)
    after = naive.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if dt.datetime.fromtimestamp(middle * 60, UTC).astimezone(tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return dt.datetime.fromtimestamp(high * 60, UTC)


def is_wall_time_valid(day: dt.date, wall: dt.time, tz: ZoneInfo) -> bool:
    """False for wall times in a spring-forward gap (they never happen on that date)."""
    return _exists(dt.datetime.combine(day, wall), tz)


# --------------------------------------------------------------------------------------------------
# Templates


@dataclass(frozen=True, slots=True)
class TemplateRule:
    """One weekly availability pattern of a provider at a location (AvailabilityTemplate, flattened)."""

    weekday: int  # 0 = Monday
    start_time: dt.time
    end_time: dt.time
    effective_from: dt.date
    effective_until: dt.date | None = None  # inclusive
    kind: str = KIND_OPEN
    type_ids: frozenset[int] = frozenset()  # empty = every type
    release_minutes_before: int | None = None
    template_id: int | None = None

    def applies_on(self, day: dt.date) -> bool:
        return (
            day.weekday() == self.weekday
            and day >= self.effective_from
            and (self.effective_until is None or day <= self.effective_until)
        )


@dataclass(frozen=True, slots=True)
class Window:
    """A template expanded onto one date: a UTC interval plus the template's rules."""

    interval: Interval
    kind: str
    type_ids: frozenset[int]
    release_minutes_before: int | None
    template_id: int | None = None

    def allows(self, type_id: int, now: dt.datetime) -> bool:
        """May ``type_id`` be booked in this window when asked at ``now``?"""
        if self.kind == KIND_BLOCK:
            return False
        if not self.type_ids or type_id in self.type_ids:
            return True
        if self.kind == KIND_RESERVED and self.release_minutes_before is not None:
            return now >= self.interval.start - dt.timedelta(minutes=self.release_minutes_before)
        return False


def local_dates(start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> list[dt.date]:
    """Every local date that the instant range ``[start, end)`` touches in ``tz``."""
    first = start.astimezone(tz).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(tz).date() if end > start else first
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def expand_templates(
    rules: Iterable[TemplateRule], tz: ZoneInfo, first_day: dt.date, last_day: dt.date
) -> list[Window]:
    """Windows of every rule on every local date in ``[first_day, last_day]``, sorted by start."""
    by_weekday: dict[int, list[TemplateRule]] = {}
    for rule in rules:
        by_weekday.setdefault(rule.weekday, []).append(rule)
    windows: list[Window] = []
    day = first_day
    while day <= last_day:
        for rule in by_weekday.get(day.weekday(), ()):
            if not rule.applies_on(day):
                continue
            start = wall_to_utc(day, rule.start_time, tz)
            end = wall_to_utc(day, rule.end_time, tz)
            if end > start:  # a window wholly inside a DST gap vanishes
                windows.append(
                    Window(
                        Interval(start, end),
                        rule.kind,
                        rule.type_ids,
                        rule.release_minutes_before,
                        rule.template_id,
                    )
                )
        day += dt.timedelta(days=1)
    windows.sort(key=lambda w: w.interval)
    return windows


def usable_intervals(windows: Iterable[Window], type_id: int, now: dt.datetime) -> list[Interval]:
    """Time the type may use: allowing windows minus windows that keep it out (see module doc)."""
    allowed: list[Interval] = []
    denied: list[Interval] = []
    for window in windows:
        if window.kind == KIND_BLOCK:
            continue
        (allowed if window.allows(type_id, now) else denied).append(window.interval)
    return subtract(allowed, denied)


# --------------------------------------------------------------------------------------------------
# Inputs describing one provider at one location


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """What slot arithmetic needs from an AppointmentType."""

    id: int
    duration_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    daily_cap: int | None = None

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_minutes)

    @property
    def buffer_before(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.buffer_after_minutes)

    def footprint(self, start: dt.datetime) -> Interval:
        """The time the provider is taken: buffers included."""
        return Interval(start - self.buffer_before, start + self.duration + self.buffer_after)

    def visit(self, start: dt.datetime) -> Interval:
        return Interval(start, start + self.duration)


@dataclass(frozen=True, slots=True)
class Resource:
    """A room or piece of equipment and the intervals it is already taken."""

    id: int
    busy: tuple[Interval, ...] = ()


@dataclass(slots=True)
class ProviderCalendar:
    """Everything known about one provider at one location for a time range.

    ``busy``: appointments (each widened by its type's buffers) and live holds of other people, at any
    location. ``blocks``: schedule exceptions (time off). ``type_starts``: starts of the provider's
    active appointments of the searched type (for the daily cap).
    """

    provider_id: int
    location_id: int
    tz: ZoneInfo
    rules: Sequence[TemplateRule]
    blocks: Sequence[Interval] = ()
    busy: Sequence[Interval] = ()
    type_starts: Sequence[dt.datetime] = ()
    _days: dict[dt.date, list[Window]] = field(default_factory=dict)

    def day_windows(self, day: dt.date) -> list[Window]:
        """The windows of one local date (cached: searches revisit days)."""
        if day not in self._days:
            self._days[day] = expand_templates(self.rules, self.tz, day, day)
        return self._days[day]

    def windows(self, first_day: dt.date, last_day: dt.date) -> list[Window]:
        result: list[Window] = []
        for n in range((last_day - first_day).days + 1):
            result.extend(self.day_windows(first_day + dt.timedelta(days=n)))
        result.sort(key=lambda w: w.interval)
        return result

    def next_usable(
        self,
        type_id: int,
        now: dt.datetime,
        after: dt.datetime,
        before: dt.datetime,
        search: SearchFilter | None = None,
    ) -> dt.datetime | None:
        """The first instant in ``[after, before)`` that some window lets the type use, else None.

        Looks one local day at a time, skipping weekdays and times of day the search excludes. A
        day's usable time computed from that day's windows alone is a superset of the true usable
        time (a neighbour day's window can only take time away), so this never skips time where a
        slot could start: it is a safe lower bound for where to look.
        """
        day = after.astimezone(self.tz).date() - dt.timedelta(days=1)
        last = before.astimezone(self.tz).date()
        while day <= last:
            if search is None or search.weekdays is None or day.weekday() in search.weekdays:
                usable = usable_intervals(self.day_windows(day), type_id, now)
                if search is not None and (search.earliest_time or search.latest_time):
                    usable = intersect(usable, [search.day_span(day, self.tz)])
                for interval in usable:
                    if interval.end > after and interval.start < before:
                        return max(interval.start, after)
            day += dt.timedelta(days=1)
        return None

    def cap_counts(self) -> dict[dt.date, int]:
        counts: dict[dt.date, int] = {}
        for start in self.type_starts:
            day = start.astimezone(self.tz).date()
            counts[day] = counts.get(day, 0) + 1
        return counts


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """Optional narrowing of a search, evaluated in the location's timezone."""

    weekdays: frozenset[int] | None = None
    earliest_time: dt.time | None = None  # visit starts at or after
    latest_time: dt.time | None = None  # visit ends at or before

    def day_span(self, day: dt.date, tz: ZoneInfo) -> Interval:
        """The part of a local date the time-of-day bounds allow."""
        start = wall_to_utc(day, self.earliest_time or dt.time(0), tz)
        if self.latest_time is not None:
            end = wall_to_utc(day, self.latest_time, tz)
        else:
            end = wall_to_utc(day + dt.timedelta(days=1), dt.time(0), tz)
        return Interval(start, max(start, end))

    def accepts(self, visit: Interval, tz: ZoneInfo) -> bool:
        local_start = visit.start.astimezone(tz)
        if self.weekdays is not None and local_start.weekday() not in self.weekdays:
            return False
        if self.earliest_time is not None and local_start.time() < self.earliest_time:
            return False
        if self.latest_time is not None:
            limit = wall_to_utc(local_start.date(), self.latest_time, tz)
            if visit.end > limit:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Candidate:
    """One open start found for a provider at a location (room/equipment it would take)."""

    provider_id: int
    location_id: int
    start: dt.datetime
    end: dt.datetime
    room_id: int | None
    equipment_id: int | None


def _grid_ceil(instant: dt.datetime, grid: int) -> dt.datetime:
    step = grid * 60
    seconds = int(instant.timestamp())
    aligned = -(-seconds // step) * step
    if aligned == seconds and instant.microsecond:
        aligned += step
    return dt.datetime.fromtimestamp(aligned, UTC)


def on_grid(instant: dt.datetime, grid: int) -> bool:
    return instant.microsecond == 0 and int(instant.timestamp()) % (grid * 60) == 0


def _free_resource(resources: Sequence[Resource], span: Interval) -> int | None:
    for resource in resources:
        if not overlaps_any(resource.busy, span):
            return resource.id
    return None


def iter_slots(
    calendar: ProviderCalendar,
    appointment_type: TypeSpec,
    *,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    grid_minutes: int = DEFAULT_GRID_MINUTES,
    search: SearchFilter | None = None,
    patient_busy: Sequence[Interval] = (),
    rooms: Sequence[Resource] | None = None,
    equipment: Sequence[Resource] | None = None,
) -> Iterator[Candidate]:
    """Open starts in ``[start, end)`` in ascending order (lazily: callers stop when they have enough).

    ``rooms`` / ``equipment``: ``None`` when the type needs none; a (possibly empty) list otherwise.
    """
    kind = appointment_type
    if end <= start:
        return
    # Every local date a footprint of a start in [start, end) can touch (windows never cross
    # midnight, so other days' windows cannot matter).
    days = local_dates(
        start - kind.buffer_before, end + kind.duration + kind.buffer_after, calendar.tz
    )
    windows = calendar.windows(days[0], days[-1])
    usable = usable_intervals(windows, kind.id, now)
    blocks = [w.interval for w in windows if w.kind == KIND_BLOCK]
    free = subtract(usable, [*blocks, *calendar.blocks, *calendar.busy])
    caps = calendar.cap_counts() if kind.daily_cap is not None else {}
    patient = merge(patient_busy)
    earliest = max(start, now)
    for interval in free:
        first = _grid_ceil(max(interval.start + kind.buffer_before, earliest), grid_minutes)
        last = interval.end - kind.duration - kind.buffer_after  # latest start that still fits
        step = dt.timedelta(minutes=grid_minutes)
        slot = first
        while slot <= last and slot < end:
            visit = kind.visit(slot)
            if search is not None and not search.accepts(visit, calendar.tz):
                slot += step
                continue
            if (
                kind.daily_cap is not None
                and caps.get(slot.astimezone(calendar.tz).date(), 0) >= kind.daily_cap
            ):
                slot += step
                continue
            if patient and overlaps_any(patient, visit):
                slot += step
                continue
            room_id = equipment_id = None
            if rooms is not None:
                room_id = _free_resource(rooms, visit)
                if room_id is None:
                    slot += step
                    continue
            if equipment is not None:
                equipment_id = _free_resource(equipment, visit)
                if equipment_id is None:
                    slot += step
                    continue
            yield Candidate(
                calendar.provider_id,
                calendar.location_id,
                slot,
                visit.end,
                room_id,
                equipment_id,
            )
            slot += step


def first_slots(
    streams: Iterable[Iterator[Candidate]],
    *,
    limit: int,
    rank: Callable[[Candidate], tuple[object, ...]] | None = None,
) -> list[Candidate]:
    """The ``limit`` best candidates of several ascending streams (lazy k-way merge).

    ``rank`` must begin with the candidate's start so each stream stays sorted under it.
    """
    key = rank or (lambda c: (c.start, c.provider_id, c.location_id))
    return list(_take(heapq.merge(*streams, key=key), limit))


def _take(iterator: Iterator[Candidate], limit: int) -> Iterator[Candidate]:
    for count, item in enumerate(iterator):
        if count >= limit:
            return
        yield item


# --------------------------------------------------------------------------------------------------
# One specific start


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reason: str = OK
    room_id: int | None = None
    equipment_id: int | None = None

    def __bool__(self) -> bool:
        return self.ok


def is_bookable(
    calendar: ProviderCalendar,
    appointment_type: TypeSpec,
    start: dt.datetime,
    *,
    now: dt.datetime,
    grid_minutes: int = DEFAULT_GRID_MINUTES,
    patient_busy: Sequence[Interval] = (),
    rooms: Sequence[Resource] | None = None,
    equipment: Sequence[Resource] | None = None,
) -> Verdict:
    """May ``appointment_type`` start at ``start`` with this provider and location? Why not?

    The calendar's ``busy`` must already exclude the appointment being moved (rescheduling) and the
    caller's own hold. Reasons are checked in a fixed order, so the first failing rule is reported.
    """
    kind = appointment_type
    if start < now:
        return Verdict(False, IN_PAST)
    if not on_grid(start, grid_minutes):
        return Verdict(False, OFF_GRID)
    footprint = kind.footprint(start)
    visit = kind.visit(start)
    days = local_dates(footprint.start, footprint.end, calendar.tz)
    windows = calendar.windows(days[0] - dt.timedelta(days=1), days[-1] + dt.timedelta(days=1))
    bookable_kinds = [w for w in windows if w.kind != KIND_BLOCK]
    if not covers(merge(w.interval for w in bookable_kinds), footprint):
        return Verdict(False, OUTSIDE_AVAILABILITY)
    if not covers(usable_intervals(windows, kind.id, now), footprint):
        keeping_out = [
            w
            for w in bookable_kinds
            if w.interval.overlaps(footprint) and not w.allows(kind.id, now)
        ]
        if any(w.kind == KIND_RESERVED for w in keeping_out):
            return Verdict(False, RESERVED)
        return Verdict(False, TYPE_NOT_ALLOWED)
    blocks = [w.interval for w in windows if w.kind == KIND_BLOCK]
    if overlaps_any([*blocks, *calendar.blocks], footprint):
        return Verdict(False, BLOCKED)
    if overlaps_any(calendar.busy, footprint):
        return Verdict(False, BUSY)
    if (
        kind.daily_cap is not None
        and calendar.cap_counts().get(start.astimezone(calendar.tz).date(), 0) >= kind.daily_cap
    ):
        return Verdict(False, DAILY_CAP)
    if overlaps_any(patient_busy, visit):
        return Verdict(False, PATIENT_BUSY)
    room_id = equipment_id = None
    if rooms is not None:
        room_id = _free_resource(rooms, visit)
        if room_id is None:
            return Verdict(False, NO_ROOM)
    if equipment is not None:
        equipment_id = _free_resource(equipment, visit)
        if equipment_id is None:
            return Verdict(False, NO_EQUIPMENT)
    return Verdict(True, OK, room_id, equipment_id)
