"""Template change impact: stranded appointments are listed with a reason, never moved."""

from __future__ import annotations

import datetime as dt

import pytest

from frontdesk.scheduling.impact import template_change_impact
from frontdesk.scheduling.models import Appointment, AvailabilityTemplate
from frontdesk.scheduling.tests.conftest import monday
from tests.factories import (
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    PatientFactory,
    ScheduleExceptionFactory,
)

pytestmark = pytest.mark.django_db

DEC = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


def impact(clinic):
    return [
        (s.appointment.pk, s.reason)
        for s in template_change_impact(
            provider_id=clinic.provider.pk,
            location_id=clinic.location.pk,
            date_from=DEC[0],
            date_to=DEC[1],
        )
    ]


def test_nothing_listed_when_everything_still_fits(clinic, book):
    book()
    book(patient=PatientFactory(), starts_at=monday(11, 40))
    assert impact(clinic) == []


def test_shortened_template_lists_the_appointments_now_outside(clinic, book):
    early = book()
    late = book(patient=PatientFactory(), starts_at=monday(11, 40))
    later_week = book(patient=PatientFactory(), starts_at=monday(11, 0, day=14))
    AvailabilityTemplate.objects.update(end_time=dt.time(11, 0))
    assert impact(clinic) == [
        (late.pk, "outside_availability"),
        (later_week.pk, "outside_availability"),
    ]
    # Never moved or cancelled.
    assert list(Appointment.objects.order_by("pk").values_list("pk", "starts_at", "status")) == [
        (early.pk, monday(9), "booked"),
        (late.pk, monday(11, 40), "booked"),
        (later_week.pk, monday(11, 0, day=14), "booked"),
    ]


def test_time_off_and_blocks_are_listed_with_their_reason(clinic, book):
    first = book()
    second = book(patient=PatientFactory(), starts_at=monday(10, day=14))
    ScheduleExceptionFactory(provider=clinic.provider, starts_at=monday(0), ends_at=monday(23, 59))
    AvailabilityTemplateFactory(
        provider=clinic.provider,
        location=clinic.location,
        kind="block",
        start_time=dt.time(10, 0),
        end_time=dt.time(10, 30),
        label="Meeting",
    )
    assert impact(clinic) == [(first.pk, "blocked"), (second.pk, "blocked")]


def test_window_restricted_to_other_types(clinic, book):
    appointment = book()
    only_new = AppointmentTypeFactory(code="new-only", duration_minutes=40)
    AvailabilityTemplate.objects.get().appointment_types.add(only_new)
    assert impact(clinic) == [(appointment.pk, "type_not_allowed")]


def test_cancelled_and_out_of_range_appointments_are_not_listed(clinic, book):
    from frontdesk.scheduling.services import appointment_cancel

    cancelled = book()
    appointment_cancel(
        actor=clinic.clerk, appointment=cancelled, reason="other", cancelled_by="practice"
    )
    january = book(
        patient=PatientFactory(), starts_at=monday(9) + dt.timedelta(weeks=4)
    )  # 4 Jan 2027
    AvailabilityTemplate.objects.all().delete()
    assert impact(clinic) == []
    assert Appointment.objects.get(pk=january.pk).status == "booked"


def test_a_past_appointment_is_judged_as_of_its_own_time(clinic, book, now):
    import time_machine

    appointment = book()
    with time_machine.travel(monday(13), tick=False):
        assert impact(clinic) == []
        AvailabilityTemplate.objects.update(start_time=dt.time(10, 0))
        assert impact(clinic) == [(appointment.pk, "outside_availability")]
