"""The demo practice's schedule: appointment types, weekly templates and a realistic booked calendar.

``schedule_build`` runs inside the demo loader's transaction. It (re)defines the six demo appointment
types, gives every demo provider weekly templates at their locations (08:00–17:00 within the
location's opening hours, a lunch block 12:00–13:00, and a same-day urgent window 08:00–09:00 that is
released to every type 120 minutes before), and fills the past 30 and next 30 days about 70 % full.

The calendar is generated in memory and bulk-inserted, but it obeys every rule the booking services
enforce: starts on the 5-minute grid, visits plus their buffers inside open, unblocked template time,
no provider, room, piece of equipment or patient double-booked (one visit per patient per day), rooms
and equipment of the kind the type needs. Deterministic for a seed and a given "today".
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import router
from django.utils import timezone

from frontdesk.patients.models import Patient
from frontdesk.practice.models import Equipment, Location, OpeningHours, Provider, Room
from frontdesk.scheduling import availability as av
from frontdesk.scheduling.choices import (
    AppointmentStatus,
    CancellationReason,
    CancelledBy,
    ConfirmationStatus,
    EventKind,
    Modality,
    PatientKind,
    TemplateKind,
)
from frontdesk.scheduling.models import (
    Appointment,
    AppointmentEvent,
    AppointmentSeries,
    AppointmentType,
    AvailabilityTemplate,
    ScheduleException,
    SlotHold,
)
from frontdesk.scheduling.slots import VISITED_STATUSES, specialty_key

DAYS_BACK = 30
DAYS_AHEAD = 30
FILL = 0.70
DAY_START = dt.time(8, 0)
LUNCH = (dt.time(12, 0), dt.time(13, 0))
DAY_END = dt.time(17, 0)
URGENT_WINDOW = (dt.time(8, 0), dt.time(9, 0))
URGENT_RELEASE_MINUTES = 120
BATCH = 1000


@dataclass(frozen=True)
class _TypeSpec:
    code: str
    name: str
    minutes: int
    color: str
    patient_kind: str = PatientKind.ANY
    modality: str = Modality.IN_PERSON
    room_kind: str = ""
    equipment_kind: str = ""
    buffer_before: int = 0
    buffer_after: int = 0
    instructions: str = ""
    estimate_codes: str = ""  # what the visit is expected to bill (priced by the demo fees)
    weight: int = 0  # share of ordinary (non-urgent) bookings


APPOINTMENT_TYPES: tuple[_TypeSpec, ...] = (
    _TypeSpec(
        "new-patient",
        "New patient visit",
        40,
        "#2e7d32",
        patient_kind=PatientKind.NEW,
        buffer_after=5,
        instructions="Please arrive 15 minutes early and bring your insurance card.",
        estimate_codes="99203",
        weight=12,
    ),
    _TypeSpec(
        "established",
        "Established patient visit",
        20,
        "#1565c0",
        patient_kind=PatientKind.ESTABLISHED,
        estimate_codes="99213",
        weight=45,
    ),
    _TypeSpec(
        "annual-physical",
        "Annual physical",
        40,
        "#6a1b9a",
        room_kind="exam",
        buffer_after=10,
        instructions="Wear comfortable clothing.",
        estimate_codes="99396, 36415",
        weight=12,
    ),
    _TypeSpec(
        "ecg",
        "ECG",
        15,
        "#c62828",
        equipment_kind="ecg",
        buffer_before=5,
        estimate_codes="93000",
        weight=8,
    ),
    _TypeSpec(
        "telehealth-follow-up",
        "Telehealth follow-up",
        20,
        "#00838f",
        patient_kind=PatientKind.ESTABLISHED,
        modality=Modality.TELEHEALTH,
        instructions="You will receive a video link before the visit.",
        estimate_codes="99213",
        weight=18,
    ),
    _TypeSpec("same-day-urgent", "Same-day urgent visit", 20, "#ef6c00", estimate_codes="99214"),
)
URGENT_CODE = "same-day-urgent"


@dataclass(frozen=True)
class ScheduleStats:
    appointment_types: int = 0
    templates: int = 0
    appointments: int = 0


def schedule_delete() -> None:
    """Remove every appointment, series, hold, template and exception (``--reset`` on a demo database).

    One DELETE per table, children first (the cascade collector would load every row).
    """
    using = router.db_for_write(Appointment)
    for model in (AppointmentEvent, SlotHold):
        model.objects.all()._raw_delete(using)
    Appointment.objects.all()._raw_delete(using)
    AppointmentSeries.objects.all()._raw_delete(using)
    AvailabilityTemplate.appointment_types.through.objects.all()._raw_delete(using)
    AvailabilityTemplate.objects.all()._raw_delete(using)
    ScheduleException.objects.all()._raw_delete(using)


def _types() -> dict[str, AppointmentType]:
    types = {}
    for spec in APPOINTMENT_TYPES:
        kind, _ = AppointmentType.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "duration_minutes": spec.minutes,
                "color": spec.color,
                "patient_kind": spec.patient_kind,
                "modality": spec.modality,
                "required_room_kind": spec.room_kind,
                "required_equipment_kind": spec.equipment_kind,
                "buffer_before_minutes": spec.buffer_before,
                "buffer_after_minutes": spec.buffer_after,
                "instructions": spec.instructions,
                "estimate_codes": spec.estimate_codes,
                "is_active": True,
            },
        )
        types[spec.code] = kind
    return types


def _workdays(provider_index: int, count: int) -> list[tuple[int, ...]]:
    """Weekdays worked at each of the provider's ``count`` locations (in location order).

    Alternating the split keeps every location staffed on every weekday it is open."""
    if count == 1:
        return [(0, 1, 2, 3, 4)]
    return [(0, 1, 2), (3, 4)] if provider_index % 2 == 0 else [(3, 4), (0, 1, 2)]


def _templates(
    providers: Sequence[Provider], urgent: AppointmentType
) -> tuple[int, dict[tuple[int, int], list[tuple[int, dt.time, dt.time]]]]:
    """Create the weekly templates; returns how many and each (provider, location)'s open hours."""
    hours: dict[tuple[int, int], list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for row in OpeningHours.objects.all():
        hours[(row.location_id, row.weekday)].append((row.opens_at, row.closes_at))
    effective_from = timezone.localdate() - dt.timedelta(days=DAYS_BACK + 7)
    rows: list[AvailabilityTemplate] = []
    worked: dict[tuple[int, int], list[tuple[int, dt.time, dt.time]]] = defaultdict(list)
    for index, provider in enumerate(providers):
        locations = sorted(provider.locations.all(), key=lambda loc: loc.pk)
        # The home location (index % 3 in the practice builder) is the provider's first assignment.
        for location, weekdays in zip(locations, _workdays(index, len(locations)), strict=True):
            for weekday in weekdays:
                spans = hours.get((location.pk, weekday), [])
                if not spans:
                    continue
                start = max(DAY_START, min(s for s, _ in spans))
                end = min(DAY_END, max(e for _, e in spans))
                if end <= start:
                    continue

                common = {
                    "provider": provider,
                    "location": location,
                    "weekday": weekday,
                    "effective_from": effective_from,
                }
                rows.append(
                    AvailabilityTemplate(
                        **common,
                        kind=TemplateKind.OPEN,
                        start_time=start,
                        end_time=end,
                        label="Clinic hours",
                    )
                )
                if start < LUNCH[0] and end > LUNCH[1]:
                    rows.append(
                        AvailabilityTemplate(
                            **common,
                            kind=TemplateKind.BLOCK,
                            start_time=LUNCH[0],
                            end_time=LUNCH[1],
                            label="Lunch",
                        )
                    )
                if start <= URGENT_WINDOW[0] and end >= URGENT_WINDOW[1]:
                    rows.append(
                        AvailabilityTemplate(
                            **common,
                            kind=TemplateKind.RESERVED,
                            start_time=URGENT_WINDOW[0],
                            end_time=URGENT_WINDOW[1],
                            label="Same-day urgent",
                            release_minutes_before=URGENT_RELEASE_MINUTES,
                        )
                    )
                worked[(provider.pk, location.pk)].append((weekday, start, end))
    AvailabilityTemplate.objects.filter(provider__in=providers).delete()
    AvailabilityTemplate.objects.bulk_create(rows, batch_size=BATCH)
    through = AvailabilityTemplate.appointment_types.through
    saved = AvailabilityTemplate.objects.filter(
        provider__in=providers, kind=TemplateKind.RESERVED
    ).values_list("pk", flat=True)
    through.objects.bulk_create(
        [through(availabilitytemplate_id=pk, appointmenttype_id=urgent.pk) for pk in saved],
        batch_size=BATCH,
    )
    return len(rows), worked


class _Visits:
    """Who has been seen so far (days before the one being filled), for the new/established rule.

    A new-patient type goes only to a patient with no visit yet, an established type only to one
    already seen by a provider of the same specialty in the practice (``slots.patient_is_established``
    with the 3-year window: the demo's history is 30 days), so booking services and the demo agree.
    """

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.by_practice_key: dict[tuple[int, str], list[int]] = defaultdict(list)
        self._keyed: set[tuple[int, str, int]] = set()

    def add_day(self, rows: Sequence[Appointment], keys: dict[int, tuple[int, str]]) -> None:
        for row in rows:
            if row.status not in VISITED_STATUSES:
                continue
            self.seen.add(row.patient_id)
            key = keys[id(row)]  # rows have no primary key before bulk_create
            if (*key, row.patient_id) not in self._keyed:
                self._keyed.add((*key, row.patient_id))
                self.by_practice_key[key].append(row.patient_id)


class _Calendar:
    """Busy intervals per resource key, to keep rooms, equipment and patients free of overlaps."""

    def __init__(self) -> None:
        self.busy: dict[object, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)

    def free(self, key: object, start: dt.datetime, end: dt.datetime) -> bool:
        return all(e <= start or s >= end for s, e in self.busy[key])

    def take(self, key: object, start: dt.datetime, end: dt.datetime) -> None:
        self.busy[key].append((start, end))


def schedule_build(*, seed: int, today: dt.date | None = None) -> ScheduleStats:
    """Define types and templates and book the past 30 / next 30 days; call inside a transaction."""
    types = _types()
    providers = list(
        Provider.objects.filter(is_active=True).prefetch_related("locations").order_by("pk")
    )
    template_count, worked = _templates(providers, types[URGENT_CODE])
    patient_ids = list(
        Patient.objects.filter(is_active=True, merged_into__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not patient_ids:
        return ScheduleStats(len(types), template_count, 0)
    rng = random.Random(seed * 7919 + 17)
    now = timezone.now()
    today = today or timezone.localdate()
    rooms: dict[tuple[int, str], list[int]] = defaultdict(list)
    for room in Room.objects.filter(is_active=True).order_by("name", "pk"):
        rooms[(room.location_id, room.kind)].append(room.pk)
    gear: dict[tuple[int, str], list[int]] = defaultdict(list)
    for item in Equipment.objects.filter(is_active=True).order_by("name", "pk"):
        gear[(item.location_id, item.kind)].append(item.pk)
    locations = {loc.pk: loc for p in providers for loc in p.locations.all()}
    ordinary = [types[s.code] for s in APPOINTMENT_TYPES if s.weight]
    weights = [s.weight for s in APPOINTMENT_TYPES if s.weight]
    any_kinds = [t for t in ordinary if t.patient_kind == PatientKind.ANY]
    any_weights = [w for t, w in zip(ordinary, weights, strict=True) if t in any_kinds]
    calendar = _Calendar()
    visits = _Visits()
    rows: list[Appointment] = []
    for offset in range(-DAYS_BACK, DAYS_AHEAD + 1):
        day = today + dt.timedelta(days=offset)
        day_rows: list[Appointment] = []
        day_keys: dict[int, tuple[int, str]] = {}
        for provider in providers:
            for location_pk in sorted(loc.pk for loc in provider.locations.all()):
                for weekday, start, end in worked.get((provider.pk, location_pk), []):
                    if weekday != day.weekday():
                        continue
                    location = locations[location_pk]
                    tz = location.tzinfo
                    periods: list[tuple[dt.time, dt.time, bool]] = []
                    if start <= URGENT_WINDOW[0] and end >= URGENT_WINDOW[1]:
                        periods.append((*URGENT_WINDOW, True))
                        start = URGENT_WINDOW[1]
                    if start < LUNCH[0] and end > LUNCH[1]:
                        periods += [(start, LUNCH[0], False), (LUNCH[1], end, False)]
                    else:
                        periods.append((start, end, False))
                    for a, b, is_urgent in periods:
                        # The reserved window is for same-day needs: booked in the past and today only.
                        if is_urgent and offset > 0:
                            continue
                        filled = _fill(
                            rng,
                            calendar,
                            provider=provider,
                            location=location,
                            day=day,
                            start=av.wall_to_utc(day, a, tz),
                            end=av.wall_to_utc(day, b, tz),
                            kinds=[types[URGENT_CODE]] if is_urgent else ordinary,
                            weights=[1] if is_urgent else weights,
                            fallback=(any_kinds, any_weights),
                            rooms=rooms,
                            gear=gear,
                            patient_ids=patient_ids,
                            visits=visits,
                            now=now,
                        )
                        key = (location.organization_id, specialty_key(provider.specialty))
                        day_keys.update({id(row): key for row in filled})
                        day_rows += filled
        visits.add_day(day_rows, day_keys)
        rows += day_rows
    Appointment.objects.bulk_create(rows, batch_size=BATCH)
    AppointmentEvent.objects.bulk_create(_history(rng, rows), batch_size=BATCH)
    return ScheduleStats(len(types), template_count, len(rows))


def _history(rng: random.Random, rows: list[Appointment]) -> list[AppointmentEvent]:
    """Each appointment's history: booked 1–21 days ahead, then cancelled or marked a no-show."""
    events = []
    for appointment in rows:
        assert appointment.pk is not None  # bulk_create returns keys on PostgreSQL and SQLite
        booked_at = appointment.starts_at - dt.timedelta(days=rng.randint(1, 21))
        events.append(
            AppointmentEvent(
                appointment_id=appointment.pk,
                at=booked_at,
                kind=EventKind.BOOKED,
                to_status=AppointmentStatus.BOOKED,
                new_starts_at=appointment.starts_at,
                detail={"demo": True},
            )
        )
        if appointment.status == AppointmentStatus.CANCELLED:
            events.append(
                AppointmentEvent(
                    appointment_id=appointment.pk,
                    at=booked_at + (appointment.starts_at - booked_at) / 2,
                    kind=EventKind.CANCELLED,
                    from_status=AppointmentStatus.BOOKED,
                    to_status=AppointmentStatus.CANCELLED,
                    new_starts_at=appointment.starts_at,
                    reason=appointment.cancellation_reason,
                    detail={"cancelled_by": appointment.cancelled_by, "demo": True},
                )
            )
        elif appointment.status == AppointmentStatus.NOSHOW:
            events.append(
                AppointmentEvent(
                    appointment_id=appointment.pk,
                    at=appointment.ends_at,
                    kind=EventKind.NO_SHOW,
                    from_status=AppointmentStatus.BOOKED,
                    to_status=AppointmentStatus.NOSHOW,
                    new_starts_at=appointment.starts_at,
                    detail={"demo": True},
                )
            )
    return events


def _fill(
    rng: random.Random,
    calendar: _Calendar,
    *,
    provider: Provider,
    location: Location,
    day: dt.date,
    start: dt.datetime,
    end: dt.datetime,
    kinds: list[AppointmentType],
    weights: list[int],
    fallback: tuple[list[AppointmentType], list[int]],
    rooms: dict[tuple[int, str], list[int]],
    gear: dict[tuple[int, str], list[int]],
    patient_ids: list[int],
    visits: _Visits,
    now: dt.datetime,
) -> list[Appointment]:
    """Pack one open period of a provider ~70 % full; buffers stay inside the period."""
    out: list[Appointment] = []
    practice_key = (location.organization_id, specialty_key(provider.specialty))
    cursor = start  # earliest start of the next footprint (previous visit's end + its buffer)
    while True:
        if rng.random() > FILL:
            cursor += dt.timedelta(minutes=20)  # an open slot
            if cursor >= end:
                break
            continue
        kind = rng.choices(kinds, weights)[0]
        pool, fits = _patient_pool(kind, practice_key, patient_ids, visits)
        if not pool and fallback[0]:
            # Nobody fits a new / established type yet (early days): book a type for anyone.
            kind = rng.choices(*fallback)[0]
            pool, fits = patient_ids, _anyone
        visit_start = cursor + kind.buffer_before
        visit_end = visit_start + kind.duration
        if visit_end + kind.buffer_after > end:
            break
        room_id = _resource(
            calendar, "room", rooms, location, kind.required_room_kind, visit_start, visit_end
        )
        equipment_id = _resource(
            calendar, "gear", gear, location, kind.required_equipment_kind, visit_start, visit_end
        )
        if room_id == -1 or equipment_id == -1:
            cursor += dt.timedelta(minutes=20)
            continue
        patient_id = next(
            (
                pid
                for pid in (rng.choice(pool) for _ in range(6) if pool)
                if fits(pid)
                and calendar.free(("patient", pid, day), visit_start, visit_end)
                and not calendar.busy[("patient", pid, day)]
            ),
            None,
        )
        if patient_id is None:
            cursor = visit_end + kind.buffer_after
            continue
        calendar.take(("patient", patient_id, day), visit_start, visit_end)
        status, confirmation, reason, cancelled_by = _outcome(rng, visit_end <= now)
        active = status != AppointmentStatus.CANCELLED
        if active:
            if room_id is not None:
                calendar.take(("room", room_id), visit_start, visit_end)
            if equipment_id is not None:
                calendar.take(("gear", equipment_id), visit_start, visit_end)
        out.append(
            Appointment(
                patient_id=patient_id,
                provider=provider,
                location=location,
                appointment_type=kind,
                starts_at=visit_start,
                ends_at=visit_end,
                status=status,
                room_id=room_id,
                equipment_id=equipment_id,
                confirmation_status=confirmation,
                cancellation_reason=reason,
                cancelled_by=cancelled_by,
                is_late_cancel=cancelled_by == CancelledBy.PATIENT and rng.random() < 0.3,
            )
        )
        cursor = visit_end + kind.buffer_after
    return out


def _anyone(patient_id: int) -> bool:
    return True


def _patient_pool(
    kind: AppointmentType,
    practice_key: tuple[int, str],
    patient_ids: list[int],
    visits: _Visits,
) -> tuple[list[int], Callable[[int], bool]]:
    """Patients to draw from for ``kind``, and the test a drawn patient must pass."""
    if kind.patient_kind == PatientKind.NEW:
        return patient_ids, lambda pid: pid not in visits.seen
    if kind.patient_kind == PatientKind.ESTABLISHED:
        return visits.by_practice_key.get(practice_key, []), _anyone
    return patient_ids, _anyone


def _resource(
    calendar: _Calendar,
    tag: str,
    pool: dict[tuple[int, str], list[int]],
    location: Location,
    kind: str,
    start: dt.datetime,
    end: dt.datetime,
) -> int | None:
    """A free resource's pk, None when the type needs none, -1 when every one is taken."""
    if not kind:
        return None
    for pk in pool.get((location.pk, kind), []):
        if calendar.free((tag, pk), start, end):
            return pk
    return -1


def _outcome(rng: random.Random, is_past: bool) -> tuple[str, str, str, str]:
    """(status, confirmation, cancellation reason, cancelled by) for a past or future visit."""
    roll = rng.random()
    if is_past:
        if roll < 0.08:
            reason = rng.choice(
                [
                    CancellationReason.PATIENT_REQUEST,
                    CancellationReason.PATIENT_ILL,
                    CancellationReason.TRANSPORTATION,
                    CancellationReason.SCHEDULING_CONFLICT,
                ]
            )
            return (
                AppointmentStatus.CANCELLED,
                ConfirmationStatus.UNCONFIRMED,
                reason,
                CancelledBy.PATIENT,
            )
        if roll < 0.14:
            return AppointmentStatus.NOSHOW, ConfirmationStatus.CONFIRMED, "", ""
        return AppointmentStatus.FULFILLED, ConfirmationStatus.CONFIRMED, "", ""
    confirmation = ConfirmationStatus.CONFIRMED if roll < 0.45 else ConfirmationStatus.UNCONFIRMED
    return AppointmentStatus.BOOKED, confirmation, "", ""


__all__ = ["APPOINTMENT_TYPES", "ScheduleStats", "schedule_build", "schedule_delete"]
