"""``template_change_impact`` reads the calendar once per range: it must list exactly what asking
``slot_check`` about each appointment lists, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest

from frontdesk.scheduling.impact import IMPACT_REASONS, template_change_impact
from frontdesk.scheduling.models import Appointment
from frontdesk.scheduling.slots import slot_check
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    PatientFactory,
    ProviderFactory,
    ScheduleExceptionFactory,
)

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")
FIRST, LAST = dt.date(2027, 3, 1), dt.date(2027, 3, 28)  # across the 14 March DST change


def reference(provider, location):
    """The per-appointment definition: slot_check judged as of each appointment's own start."""
    rows = Appointment.objects.filter(
        provider=provider, location=location, status__in=["booked", "arrived"]
    ).order_by("starts_at", "pk")
    result = []
    for appointment in rows:
        verdict = slot_check(
            provider_id=provider.pk,
            location_id=location.pk,
            appointment_type=appointment.appointment_type,
            starts_at=appointment.starts_at,
            now=appointment.starts_at,
            exclude_appointment_id=appointment.pk,
        )
        if not verdict.ok and verdict.reason in IMPACT_REASONS:
            result.append((appointment.pk, verdict.reason))
    return result


def test_batched_impact_equals_asking_slot_check_for_each_appointment(
    location, django_assert_max_num_queries
):
    provider = ProviderFactory(specialty="Family Medicine")
    provider.locations.add(location)
    plain = AppointmentTypeFactory(duration_minutes=20, buffer_after_minutes=10)
    new_only = AppointmentTypeFactory(duration_minutes=40)
    cardio = AppointmentTypeFactory(duration_minutes=15, specialties=["Cardiology"])
    urgent = AppointmentTypeFactory(duration_minutes=20)
    for weekday in range(5):
        AvailabilityTemplateFactory(
            provider=provider,
            location=location,
            weekday=weekday,
            start_time=dt.time(8),
            end_time=dt.time(16),
            effective_from=FIRST,
            effective_until=dt.date(2027, 3, 19) if weekday == 4 else None,
        )
    AvailabilityTemplateFactory(
        provider=provider,
        location=location,
        weekday=0,
        kind="block",
        start_time=dt.time(12),
        end_time=dt.time(13),
        effective_from=FIRST,
    )
    AvailabilityTemplateFactory(
        provider=provider,
        location=location,
        weekday=1,
        start_time=dt.time(9),
        end_time=dt.time(11),
        effective_from=FIRST,
    ).appointment_types.add(new_only)
    AvailabilityTemplateFactory(
        provider=provider,
        location=location,
        weekday=2,
        kind="reserved",
        start_time=dt.time(8),
        end_time=dt.time(9),
        release_minutes_before=None,  # never released: other types stay out
        effective_from=FIRST,
    ).appointment_types.add(urgent)
    ScheduleExceptionFactory(
        provider=provider,
        location=location,
        starts_at=dt.datetime(2027, 3, 10, 13, 0, tzinfo=NY),
        ends_at=dt.datetime(2027, 3, 11, 10, 0, tzinfo=NY),
    )
    ScheduleExceptionFactory(
        location=location,
        starts_at=dt.datetime(2027, 3, 17, 0, 0, tzinfo=NY),
        ends_at=dt.datetime(2027, 3, 18, 0, 0, tzinfo=NY),
        reason="holiday",
    )
    kinds = itertools.cycle([plain, new_only, cardio, urgent])  # 4 types, 5 times: they rotate
    # At least 50 minutes apart: no two visits overlap (PostgreSQL's exclusion constraint).
    times = [dt.time(7, 10), dt.time(8, 0), dt.time(9, 30), dt.time(12, 10), dt.time(15, 40)]
    day = FIRST
    while day <= LAST:
        for wall in times:
            AppointmentFactory(
                provider=provider,
                location=location,
                patient=PatientFactory(),
                appointment_type=next(kinds),
                starts_at=dt.datetime.combine(day, wall, tzinfo=NY),
            )
        day += dt.timedelta(days=1)
    # An off-grid start (booked before the grid was coarser, say).
    AppointmentFactory(
        provider=provider,
        location=location,
        appointment_type=plain,
        starts_at=dt.datetime(2027, 3, 3, 11, 2, tzinfo=NY),
    )

    expected = reference(provider, location)
    with django_assert_max_num_queries(12):
        found = template_change_impact(
            provider_id=provider.pk, location_id=location.pk, date_from=FIRST, date_to=LAST
        )

    assert [(s.appointment.pk, s.reason) for s in found] == expected
    # The scenario exercises every reason the impact list can give.
    assert {reason for _, reason in expected} == set(IMPACT_REASONS)
    assert len(expected) < Appointment.objects.count()
