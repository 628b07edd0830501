"""The demo schedule: types, templates and a booked calendar that obeys every booking rule."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any

import pytest
import time_machine

from frontdesk.demo.services import demo_load
from frontdesk.practice.models import Provider
from frontdesk.scheduling.choices import ACTIVE_STATUSES
from frontdesk.scheduling.models import (
    Appointment,
    AppointmentEvent,
    AppointmentType,
    AvailabilityTemplate,
)
from frontdesk.scheduling.slots import slot_check

NOW = dt.datetime(2026, 12, 2, 15, 30, tzinfo=dt.UTC)  # a Wednesday


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db: None) -> Any:
    with time_machine.travel(NOW, tick=False):
        yield demo_load(patients=800, seed=7)


def _overlaps(rows: list[tuple[Any, dt.datetime, dt.datetime]]) -> list[Any]:
    """Keys with two intervals that intersect (half-open)."""
    by_key: dict[Any, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for key, start, end in rows:
        by_key[key].append((start, end))
    bad = []
    for key, spans in by_key.items():
        spans.sort()
        bad += [key for (_, e1), (s2, _) in itertools.pairwise(spans) if s2 < e1]
    return bad


def test_demo_appointment_types(demo):
    got = {
        t.code: (
            t.duration_minutes,
            t.required_room_kind,
            t.required_equipment_kind,
            t.buffer_before_minutes,
            t.buffer_after_minutes,
            t.modality,
        )
        for t in AppointmentType.objects.all()
    }
    assert got == {
        "new-patient": (40, "", "", 0, 5, "in_person"),
        "established": (20, "", "", 0, 0, "in_person"),
        "annual-physical": (40, "exam", "", 0, 10, "in_person"),
        "ecg": (15, "", "ecg", 5, 0, "in_person"),
        "telehealth-follow-up": (20, "", "", 0, 0, "telehealth"),
        "same-day-urgent": (20, "", "", 0, 0, "in_person"),
    }
    assert demo.schedule.appointment_types == 6


def test_demo_types_plan_codes_the_demo_fees_price(demo):
    from frontdesk.coding.services import DEMO_PROCEDURES
    from frontdesk.scheduling.setup_rules import estimate_codes_clean

    planned = {t.code: t.estimate_codes for t in AppointmentType.objects.all()}
    assert planned == {
        "new-patient": "99203",
        "established": "99213",
        "annual-physical": "99396, 36415",
        "ecg": "93000",
        "telehealth-follow-up": "99213",
        "same-day-urgent": "99214",
    }
    priced = {code for code, _, _ in DEMO_PROCEDURES}
    for codes in planned.values():
        assert estimate_codes_clean(codes) == (codes, [])
        assert {item.split()[0] for item in codes.split(", ")} <= priced


def test_every_provider_has_weekly_templates_with_lunch_and_a_reserved_morning(demo):
    urgent = AppointmentType.objects.get(code="same-day-urgent")
    for provider in Provider.objects.prefetch_related("locations"):
        rows = list(AvailabilityTemplate.objects.filter(provider=provider))
        opened = [(r.location_id, r.weekday) for r in rows if r.kind == "open"]
        assert sorted(w for _, w in opened) == [0, 1, 2, 3, 4]
        assert {loc for loc, _ in opened} == {loc.pk for loc in provider.locations.all()}
        for r in rows:
            if r.kind == "open":
                assert r.start_time == dt.time(8, 0)
                assert r.end_time in (dt.time(17, 0), dt.time(14, 0))
        blocks = [(r.weekday, r.start_time, r.end_time, r.label) for r in rows if r.kind == "block"]
        assert sorted(blocks) == [(w, dt.time(12), dt.time(13), "Lunch") for w in range(5)]
        reserved = [r for r in rows if r.kind == "reserved"]
        assert len(reserved) == 5
        for r in reserved:
            assert (r.start_time, r.end_time, r.release_minutes_before) == (
                dt.time(8),
                dt.time(9),
                120,
            )
            assert list(r.appointment_types.all()) == [urgent]
    assert demo.schedule.templates == AvailabilityTemplate.objects.count()


def test_demo_calendar_has_realistic_statuses_and_range(demo):
    rows = list(Appointment.objects.select_related("appointment_type", "room", "equipment"))
    assert len(rows) == demo.schedule.appointments
    assert len(rows) > 2000
    first = min(a.starts_at for a in rows)
    last = max(a.starts_at for a in rows)
    assert first >= NOW - dt.timedelta(days=31)
    assert last <= NOW + dt.timedelta(days=31)
    past = {a.status for a in rows if a.ends_at <= NOW}
    future = {a.status for a in rows if a.ends_at > NOW}
    assert past == {"fulfilled", "noshow", "cancelled"}
    assert future == {"booked"}
    assert {a.confirmation_status for a in rows if a.ends_at > NOW} == {
        "confirmed",
        "unconfirmed",
        "reschedule_requested",  # an "R" reply to a reminder (see test_activity.py)
    }
    history = {
        (e.appointment_id, e.kind) for e in AppointmentEvent.objects.only("appointment_id", "kind")
    }
    closed = sum(a.status in ("cancelled", "noshow") for a in rows)
    assert AppointmentEvent.objects.count() == len(rows) + closed
    for a in rows:
        assert a.ends_at - a.starts_at == a.appointment_type.duration
        assert (a.pk, "booked") in history
        if a.status in ("cancelled", "noshow"):
            assert (a.pk, {"cancelled": "cancelled", "noshow": "no_show"}[a.status]) in history
        if a.status == "cancelled":
            assert a.cancellation_reason and a.cancelled_by == "patient"
        if a.appointment_type.required_room_kind and a.status != "cancelled":
            assert a.room.kind == a.appointment_type.required_room_kind
            assert a.room.location_id == a.location_id
        if a.appointment_type.required_equipment_kind and a.status != "cancelled":
            assert a.equipment.kind == "ecg"
            assert a.equipment.location_id == a.location_id


def test_demo_calendar_has_no_double_booking_including_buffers(demo):
    active = list(
        Appointment.objects.filter(status__in=ACTIVE_STATUSES).select_related("appointment_type")
    )
    provider_spans = [
        (
            a.provider_id,
            a.starts_at - a.appointment_type.buffer_before,
            a.ends_at + a.appointment_type.buffer_after,
        )
        for a in active
    ]
    assert _overlaps(provider_spans) == []
    assert _overlaps([(a.room_id, a.starts_at, a.ends_at) for a in active if a.room_id]) == []
    assert (
        _overlaps([(a.equipment_id, a.starts_at, a.ends_at) for a in active if a.equipment_id])
        == []
    )
    assert _overlaps([(a.patient_id, a.starts_at, a.ends_at) for a in active]) == []


def test_future_bookings_pass_the_booking_engine_check(demo):
    future = list(
        Appointment.objects.filter(status="booked", starts_at__gt=NOW)
        .select_related("appointment_type")
        .order_by("starts_at", "pk")
    )
    assert len(future) > 500
    with time_machine.travel(NOW, tick=False):
        for a in future[::25]:
            verdict = slot_check(
                provider_id=a.provider_id,
                location_id=a.location_id,
                appointment_type=a.appointment_type,
                starts_at=a.starts_at,
                now=NOW,
                patient_id=a.patient_id,
                exclude_appointment_id=a.pk,
            )
            assert (a.pk, verdict.reason) == (a.pk, "ok")


def test_new_and_established_types_fit_their_patients(demo):
    """Every demo visit of a new-patient (established) type: no (a) earlier visit, same specialty."""
    from frontdesk.scheduling.slots import (
        VISITED_STATUSES,
        patient_is_established,
        patient_kind_refusal,
        specialty_key,
    )

    rows = list(
        Appointment.objects.select_related("appointment_type", "provider", "location").order_by(
            "starts_at", "pk"
        )
    )
    seen: dict[int, list[tuple[dt.datetime, tuple[int, str]]]] = defaultdict(list)
    for row in rows:
        if row.status in VISITED_STATUSES:
            key = (row.location.organization_id, specialty_key(row.provider.specialty))
            seen[row.patient_id].append((row.starts_at, key))
    kinds = defaultdict(int)
    for row in rows:
        if row.appointment_type.patient_kind == "any":
            continue
        # Visits on earlier days (the demo books at most one visit per patient and day).
        earlier = {key for at, key in seen[row.patient_id] if at.date() < row.starts_at.date()}
        established = patient_is_established(
            earlier, row.location.organization_id, row.provider.specialty
        )
        refusal = patient_kind_refusal(row.appointment_type.patient_kind, established=established)
        assert (row.pk, refusal) == (row.pk, None)
        kinds[row.appointment_type.patient_kind] += 1
    assert kinds["new"] > 50
    assert kinds["established"] > 300


def test_about_seventy_percent_of_open_time_is_booked(demo):
    """Future weekday clinic time outside lunch and the reserved hour, against booked visit time."""
    future = Appointment.objects.filter(starts_at__gt=NOW + dt.timedelta(days=1)).exclude(
        status="cancelled"
    )
    booked = sum(
        ((a.ends_at - a.starts_at) for a in future.select_related("appointment_type")),
        dt.timedelta(),
    )
    open_time = dt.timedelta()
    day = (NOW + dt.timedelta(days=2)).date()
    end = (NOW + dt.timedelta(days=30)).date()
    templates = list(AvailabilityTemplate.objects.filter(kind="open"))
    while day <= end:
        for t in templates:
            if t.weekday == day.weekday():
                hours = t.end_time.hour - t.start_time.hour - 2  # lunch and reserved hour
                open_time += dt.timedelta(hours=hours)
        day += dt.timedelta(days=1)
    ratio = booked / open_time
    assert 0.55 <= ratio <= 0.8, ratio


def test_same_seed_gives_the_same_schedule_and_reset_rebuilds(db):
    def snapshot():
        return list(
            Appointment.objects.order_by("starts_at", "provider_id").values_list(
                "provider__npi",
                "starts_at",
                "appointment_type__code",
                "patient__last_name",
                "patient__first_name",
                "patient__date_of_birth",
                "status",
            )
        )

    with time_machine.travel(NOW, tick=False):
        demo_load(patients=120, seed=3)
        first = snapshot()
        assert demo_load(patients=120, seed=3).created is False
        assert snapshot() == first
        demo_load(patients=120, seed=3, reset=True)
        assert snapshot() == first
        assert AvailabilityTemplate.objects.filter(kind="open").count() == 60
    assert len(first) > 500
