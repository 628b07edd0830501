"""Slot search glue: load what a search needs in a bounded number of queries; ``availability`` decides.

How a search reads the database (technique and figures: docs/performance.md, "Scheduling"):

- setup, independent of the range and of how many providers or appointments there are: the
  locations in the user's scope, the appointment type, its explicit providers, the eligible
  provider-location pairs, schedule exceptions, the longest buffer of any type, rooms / equipment
  of the required kind (only when the type needs them), and for a patient: the scope check, their
  active appointments in the range and the location of their last visit;
- templates of every pair, one joined query per week of the range actually walked (usually one);
- per chunk: one query for busy appointments (providers, required rooms and equipment together,
  with their type's buffers) and one for live holds of other users.

The walk starts at the first instant any template lets the type be booked (nights, weekends and
holidays are skipped in Python, without queries), reads a 3-hour chunk from there, and doubles the
chunk (up to a week) while fewer than ``limit`` options are found. "The first 10 slots in the next
90 days" therefore reads a few hundred appointment rows instead of the whole quarter. The two hot
reads (templates, busy intervals) take the driver's rows directly and read datetimes as text: the
ORM's per-row conversion cost several times the SQL itself.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections
from django.db.models import CharField, Max, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from frontdesk.core.errors import NotFound, ValidationFailed
from frontdesk.core.queryset import Actor
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Equipment, Location, Provider, Room
from frontdesk.scheduling import availability as av
from frontdesk.scheduling.choices import ACTIVE_STATUSES, AppointmentStatus, PatientKind
from frontdesk.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityTemplate,
    ScheduleException,
    SlotHold,
)

# The action a user needs to search for slots (the schedule is what they read).
SLOT_SEARCH_ACTION = "schedule.view"
# Seeing a patient's own appointments (so they do not clash) needs the patient to be in scope.
PATIENT_ACTION = "patient.search"

MAX_LIMIT = 100
# No appointment or hold lasts longer than this (an outpatient visit; see the index note in
# ``_load_busy``). The booking service should refuse longer ones (suggested DB check constraint).
LONGEST_APPOINTMENT = dt.timedelta(hours=24)
MAX_RANGE = dt.timedelta(days=366)
# Visits that count as "where the patient was last seen" (ranking).
VISITED_STATUSES = (
    AppointmentStatus.FULFILLED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
)


# New vs established patient (CMS): a patient is "new" to a practice and specialty when they have
# had no face-to-face service from a provider of the same specialty in the same group practice in
# the past three years. Visits count when they happened (fulfilled, arrived, checked in); providers
# with no specialty on file are matched at the practice (organization) level.
ESTABLISHED_LOOKBACK = dt.timedelta(days=3 * 365 + 1)
NOT_NEW = "patient_not_new"
NOT_ESTABLISHED = "patient_not_established"
MSG_PATIENT_KIND = {
    NOT_NEW: (
        "This patient was seen by this practice (same specialty) within the last 3 years: choose "
        "an established-patient type, or give a reason to override."
    ),
    NOT_ESTABLISHED: (
        "This patient has not been seen by this practice (same specialty) within the last 3 "
        "years: choose a new-patient type, or give a reason to override."
    ),
}


def patient_visit_keys(patient_id: int, now: dt.datetime) -> set[tuple[int, str]]:
    """(organization, specialty) pairs the patient was seen under in the last 3 years (one query)."""
    rows = (
        Appointment.objects.filter(
            patient_id=patient_id,
            status__in=VISITED_STATUSES,
            starts_at__gte=now - ESTABLISHED_LOOKBACK,
        )
        .values_list("location__organization_id", "provider__specialty")
        .distinct()
    )
    return {(organization, specialty_key(specialty)) for organization, specialty in rows}


def specialty_key(specialty: str | None) -> str:
    return (specialty or "").strip().lower()


def patient_is_established(
    visit_keys: set[tuple[int, str]], organization_id: int, specialty: str | None
) -> bool:
    """Seen by a provider of this specialty in this practice (any provider, without a specialty)."""
    key = specialty_key(specialty)
    if not key:
        return any(organization == organization_id for organization, _ in visit_keys)
    return (organization_id, key) in visit_keys


def patient_kind_refusal(patient_kind: str, *, established: bool) -> str | None:
    """The error code when the type's patient kind does not fit the patient, else None."""
    if patient_kind == PatientKind.NEW and established:
        return NOT_NEW
    if patient_kind == PatientKind.ESTABLISHED and not established:
        return NOT_ESTABLISHED
    return None


@dataclass(frozen=True)
class SlotOption:
    """One bookable option: what ``appointment_book`` needs, plus its rank (lower is better)."""

    provider_id: int
    location_id: int
    appointment_type_id: int
    starts_at: dt.datetime  # aware UTC
    ends_at: dt.datetime
    room_id: int | None
    equipment_id: int | None
    rank: tuple[Any, ...]


def grid_minutes() -> int:
    return int(getattr(settings, "SCHEDULE_GRID_MINUTES", av.DEFAULT_GRID_MINUTES))


# --------------------------------------------------------------------------------------------------
# Loading


def type_spec(appointment_type: AppointmentType) -> av.TypeSpec:
    return av.TypeSpec(
        appointment_type.pk,
        appointment_type.duration_minutes,
        appointment_type.buffer_before_minutes,
        appointment_type.buffer_after_minutes,
        appointment_type.daily_cap_per_provider,
    )


def _eligible_pairs(
    appointment_type: AppointmentType,
    provider_ids: Sequence[int] | None,
    location_ids: Sequence[int],
) -> list[tuple[int, int]]:
    """(provider, location) pairs that may take the type: explicit providers, else specialty match."""
    return sorted(_eligible_pairs_keyed(appointment_type, provider_ids, location_ids))


def _eligible_pairs_keyed(
    appointment_type: AppointmentType,
    provider_ids: Sequence[int] | None,
    location_ids: Sequence[int],
) -> dict[tuple[int, int], tuple[int, str]]:
    """Eligible pairs with their (organization, provider specialty), in the same one query."""
    explicit = list(
        AppointmentType.providers.through.objects.filter(
            appointmenttype_id=appointment_type.pk
        ).values_list("provider_id", flat=True)
    )
    pairs = Provider.locations.through.objects.filter(
        location_id__in=location_ids, provider__is_active=True
    )
    if explicit:
        pairs = pairs.filter(provider_id__in=explicit)
    elif appointment_type.specialties:
        pairs = pairs.filter(provider__specialty__in=appointment_type.specialties)
    if provider_ids is not None:
        pairs = pairs.filter(provider_id__in=list(provider_ids))
    return {
        (provider, location): (organization, specialty)
        for provider, location, organization, specialty in pairs.values_list(
            "provider_id", "location_id", "location__organization_id", "provider__specialty"
        )
    }


def _load_rules(
    pairs: Sequence[tuple[int, int]], first_day: dt.date, last_day: dt.date
) -> dict[tuple[int, int], list[av.TemplateRule]]:
    """Templates of the pairs in force during the days, with their allowed types (one joined query).

    Times and dates are read as text and parsed once per distinct value: a practice has thousands of
    template rows but a handful of distinct wall times, and per-row conversion dominated the search.
    """
    wanted = set(pairs)
    text: CharField[str, str] = CharField()
    rows = (
        AvailabilityTemplate.objects.filter(
            provider_id__in={p for p, _ in pairs},
            location_id__in={loc for _, loc in pairs},
            effective_from__lte=last_day,
        )
        .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=first_day))
        .annotate(
            st=Cast("start_time", text),
            et=Cast("end_time", text),
            ef=Cast("effective_from", text),
            eu=Cast("effective_until", text),
        )
        .values_list(
            "pk",
            "provider_id",
            "location_id",
            "weekday",
            "st",
            "et",
            "ef",
            "eu",
            "kind",
            "release_minutes_before",
            "appointment_types__id",
        )
        .order_by("pk")
    )
    by_pk: dict[int, tuple[Any, ...]] = {}
    types: dict[int, set[int]] = defaultdict(set)
    for row in _raw_rows(rows):
        if row[10] is not None:
            types[row[0]].add(row[10])
        if row[0] not in by_pk and (row[1], row[2]) in wanted:
            by_pk[row[0]] = row
    rules: dict[tuple[int, int], list[av.TemplateRule]] = defaultdict(list)
    for pk, (_, provider, location, weekday, st, et, ef, eu, kind, release, _t) in by_pk.items():
        allowed = frozenset(types[pk]) if pk in types else _NO_TYPES
        rules[(provider, location)].append(_rule(weekday, st, et, ef, eu, kind, allowed, release))
    return rules


@functools.lru_cache(maxsize=8192)
def _rule(
    weekday: int,
    start: str,
    end: str,
    effective_from: str,
    effective_until: str | None,
    kind: str,
    allowed: frozenset[int],
    release: int | None,
) -> av.TemplateRule:
    """One shared rule per distinct pattern: most providers' templates repeat the same few."""
    return av.TemplateRule(
        weekday,
        _time(start),
        _time(end),
        _date(effective_from),
        _date(effective_until) if effective_until else None,
        kind,
        allowed,
        release,
    )


_NO_TYPES: frozenset[int] = frozenset()


@functools.lru_cache(maxsize=4096)
def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


@functools.lru_cache(maxsize=4096)
def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def _load_exceptions(
    provider_ids: set[int], location_ids: set[int], start: dt.datetime, end: dt.datetime
) -> list[tuple[int | None, int | None, av.Interval]]:
    rows = (
        ScheduleException.objects.filter(starts_at__lt=end, ends_at__gt=start)
        .filter(
            Q(provider_id__in=provider_ids) | Q(provider__isnull=True, location_id__in=location_ids)
        )
        .values_list("provider_id", "location_id", "starts_at", "ends_at")
    )
    return [(p, loc, av.Interval(s, e)) for p, loc, s, e in rows]


def _exceptions_for(
    exceptions: Sequence[tuple[int | None, int | None, av.Interval]],
    provider_id: int,
    location_id: int,
) -> list[av.Interval]:
    return [
        span
        for p, loc, span in exceptions
        if (p == provider_id and loc in (None, location_id)) or (p is None and loc == location_id)
    ]


@dataclass
class _Busy:
    provider: dict[int, list[av.Interval]]
    type_starts: dict[int, list[dt.datetime]]
    room: dict[int, list[av.Interval]]
    equipment: dict[int, list[av.Interval]]


def _load_busy(
    *,
    provider_ids: set[int],
    room_ids: set[int],
    equipment_ids: set[int],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    type_id: int,
    not_held_by: int | None,
    exclude_appointment_id: int | None = None,
    exclude_hold_id: int | None = None,
) -> _Busy:
    """Active appointments and live holds touching ``[start, end)`` (two queries)."""
    busy = _Busy(defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list))
    who = Q(provider_id__in=provider_ids)
    if room_ids:
        who |= Q(room_id__in=room_ids)
    if equipment_ids:
        who |= Q(equipment_id__in=equipment_ids)
    appointments = Appointment.objects.filter(
        who,
        status__in=ACTIVE_STATUSES,
        starts_at__lt=end,
        ends_at__gt=start,
        # A lower bound on the indexed column turns "everything that started before ``end``" (all
        # of history) into a short index range scan.
        starts_at__gt=start - LONGEST_APPOINTMENT,
    )
    if exclude_appointment_id is not None:
        appointments = appointments.exclude(pk=exclude_appointment_id)
    for provider, room, gear, kind, s_raw, e_raw, before, after in _raw_rows(
        appointments.annotate(s=_text("starts_at"), e=_text("ends_at"))
        .values_list(
            "provider_id",
            "room_id",
            "equipment_id",
            "appointment_type_id",
            "s",
            "e",
            "appointment_type__buffer_before_minutes",
            "appointment_type__buffer_after_minutes",
        )
        .order_by()
    ):
        s, e = _instant(s_raw), _instant(e_raw)
        if provider in provider_ids:
            busy.provider[provider].append(
                av.Interval(s - dt.timedelta(minutes=before), e + dt.timedelta(minutes=after))
            )
            if kind == type_id:
                busy.type_starts[provider].append(s)
        if room in room_ids:
            busy.room[room].append(av.Interval(s, e))
        if gear in equipment_ids:
            busy.equipment[gear].append(av.Interval(s, e))
    holds = SlotHold.objects.filter(
        provider_id__in=provider_ids,
        released_at__isnull=True,
        expires_at__gt=now,
        starts_at__lt=end,
        ends_at__gt=start,
        starts_at__gt=start - LONGEST_APPOINTMENT,
    )
    if not_held_by is not None:
        holds = holds.exclude(held_by_id=not_held_by)
    if exclude_hold_id is not None:
        holds = holds.exclude(pk=exclude_hold_id)
    for provider, s_raw, e_raw, before, after in _raw_rows(
        holds.annotate(s=_text("starts_at"), e=_text("ends_at"))
        .values_list(
            "provider_id",
            "s",
            "e",
            "appointment_type__buffer_before_minutes",
            "appointment_type__buffer_after_minutes",
        )
        .order_by()
    ):
        s, e = _instant(s_raw), _instant(e_raw)
        busy.provider[provider].append(
            av.Interval(s - dt.timedelta(minutes=before), e + dt.timedelta(minutes=after))
        )
    return busy


def _raw_rows(queryset: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """Run a values_list queryset's SQL and return the driver's tuples.

    The hot reads of a search (templates, busy intervals) return thousands of rows; Django's
    per-row iterator and converters cost several times the SQL itself, so these two skip them.
    Columns must be plain values: ids, integers, text, and datetimes (see ``_instant``).
    """
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _text(column: str) -> Cast:
    """A datetime column read as text: the drivers' own datetime loaders cost more than the query."""
    return Cast(column, CharField())


@functools.lru_cache(maxsize=65536)  # schedules share start times: most rows are cache hits
def _instant(value: Any) -> dt.datetime:
    """A datetime column (as text, see ``_text``) as an aware UTC datetime.

    PostgreSQL writes "2026-11-27 13:00:00+00" (the connection runs in UTC); SQLite returns the
    text Django stored (UTC, without an offset).
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _longest_buffer() -> dt.timedelta:
    found = AppointmentType.objects.aggregate(
        before=Max("buffer_before_minutes"), after=Max("buffer_after_minutes")
    )
    return dt.timedelta(minutes=max(found["before"] or 0, found["after"] or 0))


def _resources(
    model: type[Room] | type[Equipment], kind: str, location_ids: set[int]
) -> dict[int, list[int]]:
    by_location: dict[int, list[int]] = defaultdict(list)
    rows = (
        model.objects.filter(location_id__in=location_ids, kind=kind, is_active=True)
        .order_by("pk")
        .values_list("pk", "location_id")
    )
    for pk, location in rows:
        by_location[location].append(pk)
    return by_location


FIRST_CHUNK = dt.timedelta(hours=3)
LONGEST_CHUNK = dt.timedelta(days=7)
TEMPLATE_HORIZON = dt.timedelta(days=7)


def _calendars(
    pairs: Sequence[tuple[int, int]],
    zones: dict[int, ZoneInfo],
    exceptions: Sequence[tuple[int | None, int | None, av.Interval]],
    start: dt.datetime,
    end: dt.datetime,
) -> list[av.ProviderCalendar]:
    """One calendar per pair with templates in force during ``[start, end)`` (one query)."""
    rules = _load_rules(
        pairs, (start - dt.timedelta(days=1)).date(), (end + dt.timedelta(days=1)).date()
    )
    return [
        av.ProviderCalendar(
            pair[0], pair[1], zones[pair[1]], rules[pair], _exceptions_for(exceptions, *pair)
        )
        for pair in pairs
        if rules.get(pair)
    ]


# --------------------------------------------------------------------------------------------------
# The search


def slot_search(
    *,
    user: Actor,
    appointment_type_id: int,
    provider_ids: Sequence[int] | None = None,
    location_ids: Sequence[int] | None = None,
    start: dt.datetime,
    end: dt.datetime,
    weekdays: Sequence[int] | None = None,
    earliest_time: dt.time | None = None,
    latest_time: dt.time | None = None,
    patient_id: int | None = None,
    preferred_provider_id: int | None = None,
    limit: int = 10,
    now: dt.datetime | None = None,
) -> list[SlotOption]:
    """The first ``limit`` open options for a type, ranked: earliest, preferred provider, last location.

    Only locations in the user's scope are searched; an appointment type or patient out of scope is
    NotFound. ``now`` defaults to the current time (slots never start in the past).
    """
    _validate(start, end, weekdays, earliest_time, latest_time, limit)
    now = now or timezone.now()
    locations = Location.objects.restrict(user, SLOT_SEARCH_ACTION).filter(is_active=True)
    if location_ids is not None:
        locations = locations.filter(pk__in=list(location_ids))
    zones = {pk: ZoneInfo(name) for pk, name in locations.values_list("pk", "timezone")}
    appointment_type = (
        AppointmentType.objects.restrict(user, SLOT_SEARCH_ACTION)
        .filter(pk=appointment_type_id, is_active=True)
        .first()
    )
    if appointment_type is None:
        raise NotFound(code="appointment_type_not_found")
    patient_busy: list[av.Interval] = []
    last_location: int | None = None
    if patient_id is not None:
        if not Patient.objects.restrict(user, PATIENT_ACTION).filter(pk=patient_id).exists():
            raise NotFound(code="patient_not_found")
        patient_busy = [
            av.Interval(s, e)
            for s, e in Appointment.objects.filter(
                patient_id=patient_id,
                status__in=ACTIVE_STATUSES,
                starts_at__lt=end,
                ends_at__gt=start,
                starts_at__gt=start - LONGEST_APPOINTMENT,
            ).values_list("starts_at", "ends_at")
        ]
        last_location = (
            Appointment.objects.filter(
                patient_id=patient_id, status__in=VISITED_STATUSES, starts_at__lt=now
            )
            .order_by("-starts_at")
            .values_list("location_id", flat=True)
            .first()
        )
    if not zones:
        return []
    keyed = _eligible_pairs_keyed(appointment_type, provider_ids, list(zones))
    if patient_id is not None and appointment_type.patient_kind != PatientKind.ANY:
        # Only providers the patient is new to (or established with) offer a new (established) type.
        visits = patient_visit_keys(patient_id, now)
        keyed = {
            pair: key
            for pair, key in keyed.items()
            if patient_kind_refusal(
                appointment_type.patient_kind, established=patient_is_established(visits, *key)
            )
            is None
        }
    pairs = sorted(keyed)
    if not pairs:
        return []
    spec = type_spec(appointment_type)
    begin = max(start, now)
    if begin >= end:
        return []
    providers = {p for p, _ in pairs}
    used_locations = {loc for _, loc in pairs}
    grid = grid_minutes()
    exceptions = _load_exceptions(
        providers, used_locations, begin - dt.timedelta(days=1), end + dt.timedelta(days=1)
    )
    slack = _longest_buffer() + spec.buffer_before + spec.duration + spec.buffer_after
    if spec.daily_cap is not None:
        slack += dt.timedelta(days=1)  # whole local days around the chunk, for the cap count
    rooms = (
        _resources(Room, appointment_type.required_room_kind, used_locations)
        if appointment_type.required_room_kind
        else None
    )
    gear = (
        _resources(Equipment, appointment_type.required_equipment_kind, used_locations)
        if appointment_type.required_equipment_kind
        else None
    )
    room_ids = {pk for ids in (rooms or {}).values() for pk in ids}
    gear_ids = {pk for ids in (gear or {}).values() for pk in ids}
    search = av.SearchFilter(
        frozenset(weekdays) if weekdays is not None else None, earliest_time, latest_time
    )

    def rank(c: av.Candidate) -> tuple[Any, ...]:
        return (
            c.start,
            0 if c.provider_id == preferred_provider_id else 1,
            0 if c.location_id == last_location else 1,
            c.provider_id,
            c.location_id,
        )

    calendars: list[av.ProviderCalendar] = []
    horizon = begin  # templates are loaded up to here (a week at a time, only as far as needed)
    found: list[av.Candidate] = []
    cursor, size = begin, FIRST_CHUNK
    while cursor < end and len(found) < limit:
        if cursor >= horizon - dt.timedelta(days=1) and horizon < end:
            horizon = min(end, max(horizon, cursor) + TEMPLATE_HORIZON)
            calendars = _calendars(pairs, zones, exceptions, cursor, horizon)
        # Jump over nights, weekends and closed days without touching the database.
        starts = [c.next_usable(spec.id, now, cursor, horizon, search) for c in calendars]
        first = min((t for t in starts if t is not None), default=None)
        if first is None:
            cursor = horizon  # nothing open before the templates run out: load the next week
            continue
        chunk_start, chunk_end = cursor, min(horizon, first + size)
        busy = _load_busy(
            provider_ids=providers,
            room_ids=room_ids,
            equipment_ids=gear_ids,
            start=first - slack,
            end=chunk_end + slack,
            now=now,
            type_id=spec.id,
            not_held_by=getattr(user, "pk", None),
        )
        streams = []
        for calendar in calendars:
            calendar.busy = busy.provider.get(calendar.provider_id, [])
            calendar.type_starts = busy.type_starts.get(calendar.provider_id, [])
            location = calendar.location_id
            streams.append(
                av.iter_slots(
                    calendar,
                    spec,
                    start=max(chunk_start, first),
                    end=chunk_end,
                    now=now,
                    grid_minutes=grid,
                    search=search,
                    patient_busy=patient_busy,
                    rooms=_resource_list(rooms, location, busy.room),
                    equipment=_resource_list(gear, location, busy.equipment),
                )
            )
        found.extend(av.first_slots(streams, limit=limit - len(found), rank=rank))
        cursor, size = chunk_end, min(size * 2, LONGEST_CHUNK)
    return [
        SlotOption(
            provider_id=c.provider_id,
            location_id=c.location_id,
            appointment_type_id=spec.id,
            starts_at=c.start,
            ends_at=c.end,
            room_id=c.room_id,
            equipment_id=c.equipment_id,
            rank=rank(c),
        )
        for c in found
    ]


def _resource_list(
    by_location: dict[int, list[int]] | None,
    location_id: int,
    busy: dict[int, list[av.Interval]],
) -> list[av.Resource] | None:
    if by_location is None:
        return None
    return [av.Resource(pk, tuple(busy.get(pk, ()))) for pk in by_location.get(location_id, [])]


def _validate(
    start: dt.datetime,
    end: dt.datetime,
    weekdays: Sequence[int] | None,
    earliest_time: dt.time | None,
    latest_time: dt.time | None,
    limit: int,
) -> None:
    errors: dict[str, list[str]] = {}
    if timezone.is_naive(start) or timezone.is_naive(end):
        errors["start"] = ["Start and end need a timezone."]
    elif end <= start:
        errors["end"] = ["End must be after start."]
    elif end - start > MAX_RANGE:
        errors["end"] = ["Search at most one year at a time."]
    if weekdays is not None and any(not 0 <= day <= 6 for day in weekdays):
        errors["weekdays"] = ["Weekdays are 0 (Monday) to 6 (Sunday)."]
    if earliest_time and latest_time and latest_time <= earliest_time:
        errors["latest_time"] = ["Latest time must be after earliest time."]
    if not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = [f"Ask for 1 to {MAX_LIMIT} options."]
    if errors:
        raise ValidationFailed("Check the search.", fields=errors)


# --------------------------------------------------------------------------------------------------
# One start (booking calls this inside its transaction)


def slot_check(
    *,
    provider_id: int,
    location_id: int,
    appointment_type: AppointmentType,
    starts_at: dt.datetime,
    now: dt.datetime | None = None,
    patient_id: int | None = None,
    exclude_appointment_id: int | None = None,
    hold_id: int | None = None,
) -> av.Verdict:
    """Is this exact start bookable? A fixed number of queries; no scope check (callers scope).

    ``exclude_appointment_id``: the appointment being rescheduled (it must not block itself).
    ``hold_id``: the caller's own hold on the slot (it must not block the booking that redeems it).
    Returns ``Verdict(ok=False, reason=...)`` with an ``availability`` reason code otherwise; a
    provider who does not work at the location, or cannot take the type, is "outside_availability".
    """
    now = now or timezone.now()
    spec = type_spec(appointment_type)
    zone = Location.objects.filter(pk=location_id).values_list("timezone", flat=True).first()
    pairs = _eligible_pairs(appointment_type, [provider_id], [location_id])
    if zone is None or not pairs:
        return av.Verdict(False, av.OUTSIDE_AVAILABILITY)
    footprint = spec.footprint(starts_at)
    rules = _load_rules(
        pairs,
        (footprint.start - dt.timedelta(days=2)).date(),
        (footprint.end + dt.timedelta(days=2)).date(),
    )
    exceptions = _load_exceptions({provider_id}, {location_id}, footprint.start, footprint.end)
    rooms = (
        _resources(Room, appointment_type.required_room_kind, {location_id})
        if appointment_type.required_room_kind
        else None
    )
    gear = (
        _resources(Equipment, appointment_type.required_equipment_kind, {location_id})
        if appointment_type.required_equipment_kind
        else None
    )
    slack = _longest_buffer() + dt.timedelta(days=1 if spec.daily_cap is not None else 0)
    busy = _load_busy(
        provider_ids={provider_id},
        room_ids={pk for ids in (rooms or {}).values() for pk in ids},
        equipment_ids={pk for ids in (gear or {}).values() for pk in ids},
        start=footprint.start - slack,
        end=footprint.end + slack,
        now=now,
        type_id=spec.id,
        not_held_by=None,
        exclude_appointment_id=exclude_appointment_id,
        exclude_hold_id=hold_id,
    )
    patient_busy: list[av.Interval] = []
    if patient_id is not None:
        patient_appointments = Appointment.objects.filter(
            patient_id=patient_id,
            status__in=ACTIVE_STATUSES,
            starts_at__lt=footprint.end,
            ends_at__gt=footprint.start,
        )
        if exclude_appointment_id is not None:
            patient_appointments = patient_appointments.exclude(pk=exclude_appointment_id)
        patient_busy = [
            av.Interval(s, e) for s, e in patient_appointments.values_list("starts_at", "ends_at")
        ]
    calendar = av.ProviderCalendar(
        provider_id,
        location_id,
        ZoneInfo(zone),
        rules.get((provider_id, location_id), []),
        _exceptions_for(exceptions, provider_id, location_id),
        busy.provider.get(provider_id, []),
        busy.type_starts.get(provider_id, []),
    )
    return av.is_bookable(
        calendar,
        spec,
        starts_at,
        now=now,
        grid_minutes=grid_minutes(),
        patient_busy=patient_busy,
        rooms=_resource_list(rooms, location_id, busy.room),
        equipment=_resource_list(gear, location_id, busy.equipment),
    )
