"""slot_search and slot_check against a real database: eligibility, scope, busy time, ranking, queries."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.core.errors import NotFound, ValidationFailed
from frontdesk.scheduling import availability as av
from frontdesk.scheduling import slots
from frontdesk.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityTemplate,
    ScheduleException,
    SlotHold,
)
from frontdesk.scheduling.selectors import slot_check, slot_search
from tests.factories import (
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    UserFactory,
    assign,
)

UTC = dt.UTC
NY = ZoneInfo("America/New_York")
MONDAY = dt.date(2026, 6, 1)
NOW = dt.datetime(2026, 5, 29, 12, tzinfo=UTC)  # the Friday before


def local(hour: int, minute: int = 0, day: dt.date = MONDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NY).astimezone(UTC)


def make_type(**fields: Any) -> AppointmentType:
    fields.setdefault("name", "Follow-up")
    fields.setdefault("code", f"t{AppointmentType.objects.count()}")
    fields.setdefault("duration_minutes", 30)
    providers = fields.pop("providers", [])
    kind = AppointmentType.objects.create(**fields)
    kind.providers.set(providers)
    return kind


def open_window(provider: Any, location: Any, start: str, end: str, **fields: Any) -> Any:
    types = fields.pop("types", [])
    provider.locations.add(location)
    template = AvailabilityTemplate.objects.create(
        provider=provider,
        location=location,
        weekday=fields.pop("weekday", 0),
        start_time=dt.time.fromisoformat(start),
        end_time=dt.time.fromisoformat(end),
        effective_from=fields.pop("effective_from", dt.date(2026, 1, 1)),
        **fields,
    )
    template.appointment_types.set(types)
    return template


def book(
    provider: Any, location: Any, kind: AppointmentType, start: dt.datetime, **fields: Any
) -> Any:
    return Appointment.objects.create(
        patient=fields.pop("patient", None) or PatientFactory(),
        provider=provider,
        location=location,
        appointment_type=kind,
        starts_at=start,
        ends_at=start + kind.duration,
        **fields,
    )


@pytest.fixture
def desk(db: None) -> Any:
    location = LocationFactory()
    user = assign(UserFactory(role=Role.SCHEDULER), location)
    return user, location


def search(user: Any, kind: AppointmentType, **kw: Any) -> list[tuple[int, dt.datetime]]:
    kw.setdefault("start", local(0))
    kw.setdefault("end", local(0) + dt.timedelta(days=1))
    kw.setdefault("now", NOW)
    options = slot_search(user=user, appointment_type_id=kind.pk, **kw)
    return [(o.provider_id, o.starts_at) for o in options]


def test_first_options_skip_appointments_buffers_and_holds(desk: Any) -> None:
    user, location = desk
    doctor = ProviderFactory()
    open_window(doctor, location, "09:00", "12:00")
    kind = make_type(duration_minutes=30, buffer_after_minutes=10)
    book(doctor, location, kind, local(9))  # busy 09:00-09:40
    other = UserFactory(role=Role.SCHEDULER)
    SlotHold.objects.create(
        provider=doctor,
        location=location,
        appointment_type=kind,
        starts_at=local(10),
        ends_at=local(10, 30),
        expires_at=NOW + dt.timedelta(minutes=5),
        held_by=other,
    )  # busy 10:00-10:40 for everyone but ``other``
    result = search(user, kind, limit=4, provider_ids=[doctor.pk])
    # Free: 09:40-10:00 (too short for 30 + 10 min) and 10:40-12:00.
    assert result == [
        (doctor.pk, local(10, 40)),
        (doctor.pk, local(10, 45)),
        (doctor.pk, local(10, 50)),
        (doctor.pk, local(10, 55)),
    ]
    assert search(other, kind, limit=3) == []  # ``other`` is not assigned to the location
    assign(other, location)
    assert search(other, kind, limit=3) == [
        (doctor.pk, local(9, 40)),
        (doctor.pk, local(9, 45)),
        (doctor.pk, local(9, 50)),
    ]


def test_expired_or_released_hold_and_cancelled_appointment_do_not_block(desk: Any) -> None:
    user, location = desk
    doctor = ProviderFactory()
    open_window(doctor, location, "09:00", "09:30")
    kind = make_type(duration_minutes=30)
    book(
        doctor,
        location,
        kind,
        local(9),
        status="cancelled",
        cancellation_reason="other",
        cancelled_by="patient",
    )
    SlotHold.objects.create(
        provider=doctor,
        location=location,
        appointment_type=kind,
        starts_at=local(9),
        ends_at=local(9, 30),
        expires_at=NOW,  # expired at this very instant
        held_by=UserFactory(),
    )
    assert search(user, kind) == [(doctor.pk, local(9))]


def test_eligibility_explicit_providers_specialty_and_location_link(desk: Any) -> None:
    user, location = desk
    listed = ProviderFactory(specialty="Cardiology")
    unlisted = ProviderFactory(specialty="Cardiology")
    for doctor in (listed, unlisted):
        open_window(doctor, location, "09:00", "09:30")
    explicit = make_type(providers=[listed])
    assert search(user, explicit) == [(listed.pk, local(9))]
    by_specialty = make_type(specialties=["Dermatology"])
    assert search(user, by_specialty) == []
    unlisted.specialty = "Dermatology"
    unlisted.save()
    assert search(user, by_specialty) == [(unlisted.pk, local(9))]
    # A template at a location the provider no longer works at offers nothing.
    unlisted.locations.remove(location)
    assert search(user, by_specialty) == []


def test_scope_other_location_role_and_out_of_scope_patient(desk: Any) -> None:
    user, location = desk
    doctor = ProviderFactory()
    open_window(doctor, location, "09:00", "09:30")
    kind = make_type()
    elsewhere = assign(UserFactory(role=Role.SCHEDULER), LocationFactory())
    assert search(elsewhere, kind) == []
    admin = UserFactory(role=Role.ADMIN)  # IT admin: no scheduling actions; the type looks absent
    with pytest.raises(NotFound):
        search(admin, kind)
    hidden = PatientFactory(is_restricted=True)
    with pytest.raises(NotFound):
        search(user, kind, patient_id=hidden.pk)
    with pytest.raises(NotFound):
        search(user, make_type(is_active=False))


def test_patient_own_appointments_do_not_clash(desk: Any) -> None:
    user, location = desk
    one, two = ProviderFactory(), ProviderFactory()
    open_window(one, location, "09:00", "10:00")
    open_window(two, location, "09:00", "10:00")
    kind = make_type(duration_minutes=30)
    patient = PatientFactory()
    book(one, location, kind, local(9), patient=patient)
    result = search(user, kind, patient_id=patient.pk, limit=2, provider_ids=[two.pk])
    assert result == [(two.pk, local(9, 30))]  # two is free at 09:00 but the patient is not


def test_ranking_earliest_then_preferred_provider_then_last_location(desk: Any) -> None:
    user, location = desk
    second = LocationFactory()
    assign(user, second)
    a, b, c = ProviderFactory(), ProviderFactory(), ProviderFactory()
    open_window(a, location, "09:00", "09:30")
    open_window(b, location, "09:00", "09:30")
    open_window(c, second, "09:00", "09:30")
    open_window(c, location, "08:30", "09:00")
    kind = make_type(duration_minutes=30)
    patient = PatientFactory()
    book(c, second, kind, NOW - dt.timedelta(days=10), patient=patient, status="fulfilled")
    result = search(user, kind, patient_id=patient.pk, preferred_provider_id=b.pk, limit=4)
    assert result == [(c.pk, local(8, 30)), (b.pk, local(9)), (c.pk, local(9)), (a.pk, local(9))]
    options = slot_search(
        user=user, appointment_type_id=kind.pk, start=local(0), end=local(23), now=NOW, limit=1
    )
    assert options[0].location_id == location.pk and options[0].appointment_type_id == kind.pk
    assert options[0].ends_at == local(9)


def test_room_of_the_required_kind(desk: Any) -> None:
    user, location = desk
    doctor, colleague = ProviderFactory(), ProviderFactory()
    open_window(doctor, location, "09:00", "10:00")
    procedure = RoomFactory(location=location, kind="procedure")
    RoomFactory(location=location, kind="exam")
    kind = make_type(duration_minutes=30, required_room_kind="procedure")
    book(colleague, location, kind, local(9), room=procedure)
    options = slot_search(
        user=user, appointment_type_id=kind.pk, start=local(0), end=local(23), now=NOW, limit=5
    )
    assert [(o.starts_at, o.room_id) for o in options] == [
        (local(9, 30), procedure.pk),
    ]
    procedure.is_active = False
    procedure.save()
    assert search(user, kind) == []


def test_exceptions_blocks_daily_cap_and_filters(desk: Any) -> None:
    user, location = desk
    doctor = ProviderFactory()
    open_window(doctor, location, "08:00", "12:00")
    open_window(doctor, location, "08:00", "08:30", kind="block")
    kind = make_type(duration_minutes=60, daily_cap_per_provider=2)
    ScheduleException.objects.create(
        provider=doctor, location=None, starts_at=local(9), ends_at=local(10), reason="meeting"
    )
    ScheduleException.objects.create(
        location=location, starts_at=local(11), ends_at=local(12), reason="holiday"
    )
    assert search(user, kind, limit=20) == [
        (doctor.pk, local(10)),
    ]
    assert search(user, make_type(duration_minutes=30), limit=20) == [
        (doctor.pk, local(8, 30)),
        (doctor.pk, local(10)),
        (doctor.pk, local(10, 5)),
        (doctor.pk, local(10, 10)),
        (doctor.pk, local(10, 15)),
        (doctor.pk, local(10, 20)),
        (doctor.pk, local(10, 25)),
        (doctor.pk, local(10, 30)),
    ]
    book(doctor, location, kind, local(14, 0))
    book(doctor, location, kind, local(16, 0))
    assert search(user, kind) == []  # two of this type already that day
    next_week = MONDAY + dt.timedelta(days=7)
    wide = {"start": local(0), "end": local(0, day=next_week) + dt.timedelta(days=1), "limit": 1}
    assert search(user, kind, **wide) == [(doctor.pk, local(8, 30, day=next_week))]
    assert search(user, kind, **wide, weekdays=[1, 2]) == []
    assert search(user, kind, **wide, earliest_time=dt.time(10), latest_time=dt.time(11)) == [
        (doctor.pk, local(10, day=next_week))
    ]


def test_dst_day_in_the_database(desk: Any) -> None:
    user, location = desk  # America/New_York
    doctor = ProviderFactory()
    open_window(doctor, location, "01:00", "04:00", weekday=6)  # Sunday 2026-03-08
    kind = make_type(duration_minutes=60)
    sunday = dt.date(2026, 3, 8)
    start = dt.datetime(2026, 3, 8, 5, tzinfo=UTC)
    result = search(user, kind, start=start, end=start + dt.timedelta(days=1), now=start, limit=50)
    assert [s for _, s in result] == [
        dt.datetime(2026, 3, 8, 6, 0, tzinfo=UTC) + dt.timedelta(minutes=5 * n) for n in range(13)
    ]
    assert sunday.weekday() == 6


def test_validation(desk: Any) -> None:
    user, _ = desk
    kind = make_type()
    with pytest.raises(ValidationFailed) as caught:
        search(user, kind, start=local(10), end=local(9))
    assert caught.value.fields == {"end": ["End must be after start."]}
    with pytest.raises(ValidationFailed) as caught:
        search(user, kind, limit=0, weekdays=[7])
    assert set(caught.value.fields) == {"limit", "weekdays"}


def test_query_count_does_not_grow_with_providers_or_appointments(
    desk: Any, django_assert_num_queries: Any
) -> None:
    user, location = desk
    second = LocationFactory()
    assign(user, second)
    kind = make_type(duration_minutes=30, required_room_kind="exam")
    RoomFactory(location=location, kind="exam")
    RoomFactory(location=second, kind="exam")
    patient = PatientFactory()
    first = ProviderFactory()
    open_window(first, location, "09:00", "12:00")

    def run() -> list[Any]:
        return slot_search(
            user=user,
            appointment_type_id=kind.pk,
            start=local(0),
            end=local(0) + dt.timedelta(days=30),
            now=NOW,
            patient_id=patient.pk,
            limit=10,
        )

    with django_assert_num_queries(14):
        assert len(run()) == 10
    for n in range(6):
        doctor = ProviderFactory()
        open_window(doctor, location if n % 2 else second, "09:00", "12:00")
        open_window(doctor, location, "13:00", "15:00", kind="reserved", release_minutes_before=60)
        for hour in (9, 10):
            book(doctor, location if n % 2 else second, kind, local(hour))
    with django_assert_num_queries(14):
        assert len(run()) == 10


def test_slot_check_reasons_and_exclusions(desk: Any) -> None:
    _, location = desk
    doctor = ProviderFactory()
    open_window(doctor, location, "09:00", "10:00")
    kind = make_type(duration_minutes=30)
    taken = book(doctor, location, kind, local(9))

    def check(start: dt.datetime, **kw: Any) -> str:
        return slot_check(
            provider_id=doctor.pk,
            location_id=location.pk,
            appointment_type=kind,
            starts_at=start,
            now=NOW,
            **kw,
        ).reason

    assert check(local(9, 30)) == av.OK
    assert check(local(9)) == av.BUSY
    assert check(local(9), exclude_appointment_id=taken.pk) == av.OK
    assert check(local(9, 45)) == av.OUTSIDE_AVAILABILITY
    assert check(local(9, 32)) == av.OFF_GRID
    hold = SlotHold.objects.create(
        provider=doctor,
        location=location,
        appointment_type=kind,
        starts_at=local(9, 30),
        ends_at=local(10),
        expires_at=NOW + dt.timedelta(minutes=5),
        held_by=UserFactory(),
    )
    assert check(local(9, 30)) == av.BUSY
    assert check(local(9, 30), hold_id=hold.pk) == av.OK
    assert check(local(9, 30), hold_id=hold.pk, patient_id=taken.patient_id) == av.OK
    assert check(local(9), exclude_appointment_id=taken.pk, patient_id=taken.patient_id) == av.OK
    other = ProviderFactory()
    assert (
        slot_check(
            provider_id=other.pk,
            location_id=location.pk,
            appointment_type=kind,
            starts_at=local(9, 30),
            now=NOW,
        ).reason
        == av.OUTSIDE_AVAILABILITY
    )


def test_chunked_search_equals_one_pass_over_the_whole_range(
    desk: Any, monkeypatch: Any, settings: Any
) -> None:
    """The search reads the range in growing chunks, jumps over closed time and loads templates a
    week at a time; the same search done in one chunk must give the same options, and each of them
    must pass ``slot_check`` (the one-start path booking uses)."""
    user, location = desk
    settings.SCHEDULE_GRID_MINUTES = 60  # fewer options a day, so 100 of them span two weeks
    chicago = LocationFactory(timezone="America/Chicago")
    assign(user, chicago)
    kind = make_type(duration_minutes=40, buffer_before_minutes=5, buffer_after_minutes=10)
    doctors = [ProviderFactory() for _ in range(3)]
    places = [location, location, chicago]
    for doctor, place, n in zip(doctors, places, range(3), strict=True):
        for weekday in (0, 2, 4):
            open_window(doctor, place, "08:00", "12:00", weekday=weekday)
            open_window(doctor, place, f"1{3 + n}:00", "17:00", weekday=weekday)
        open_window(doctor, place, "10:00", "10:30", weekday=2, kind="block")
    for day, hour in ((0, 8), (0, 9), (2, 13), (7, 8), (9, 15), (14, 11)):
        for doctor, place, n in zip(doctors, places, range(3), strict=True):
            book(doctor, place, kind, local(hour + n % 2, 20, day=MONDAY + dt.timedelta(days=day)))
    ScheduleException.objects.create(
        provider=doctors[0],
        starts_at=local(0, day=MONDAY + dt.timedelta(days=2)),
        ends_at=local(0, day=MONDAY + dt.timedelta(days=5)),
        reason="vacation",
    )
    start = local(11, 7)  # a Monday late morning, off the grid
    end = start + dt.timedelta(days=20)

    def run() -> list[tuple[dt.datetime, int, int]]:
        options = slot_search(
            user=user, appointment_type_id=kind.pk, start=start, end=end, now=NOW, limit=80
        )
        return [(o.starts_at, o.provider_id, o.location_id) for o in options]

    chunked = run()
    monkeypatch.setattr(slots, "FIRST_CHUNK", dt.timedelta(days=30))
    monkeypatch.setattr(slots, "TEMPLATE_HORIZON", dt.timedelta(days=30))
    assert run() == chunked
    assert len(chunked) == 80 and chunked == sorted(chunked)
    assert chunked[-1][0] - chunked[0][0] > dt.timedelta(days=7)  # several chunks and horizons
    for starts_at, provider_id, location_id in chunked:
        verdict = slot_check(
            provider_id=provider_id,
            location_id=location_id,
            appointment_type=kind,
            starts_at=starts_at,
            now=NOW,
        )
        assert verdict.ok, (starts_at, verdict.reason)


def test_filtered_out_days_cost_no_busy_reads(desk: Any) -> None:
    """Days and hours the search excludes are skipped before any appointment is read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user, location = desk
    doctor = ProviderFactory()
    open_window(doctor, location, "08:00", "12:00")  # Mondays only
    kind = make_type()
    book(doctor, location, kind, local(9))
    with CaptureQueriesContext(connection) as on_saturdays:
        assert search(user, kind, end=local(0) + dt.timedelta(days=60), weekdays=[5]) == []
    with CaptureQueriesContext(connection) as evenings:
        assert (
            search(user, kind, end=local(0) + dt.timedelta(days=60), earliest_time=dt.time(18))
            == []
        )
    for captured in (on_saturdays, evenings):
        assert all(
            'FROM "scheduling_appointment"' not in q["sql"] for q in captured.captured_queries
        )
        assert all('FROM "scheduling_slothold"' not in q["sql"] for q in captured.captured_queries)
