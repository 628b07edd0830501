"""Fixtures for printing: a location with two providers and tomorrow's appointments."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.choices import Role
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    CoverageFactory,
    LocationFactory,
    PatientFactory,
    PatientPhoneFactory,
    PlanFactory,
    ProviderFactory,
    UserFactory,
    assign,
)

# Tuesday 1 December 2026 12:00 UTC (07:00 in New York); "tomorrow" is Wednesday 2 December.
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
TOMORROW = dt.date(2026, 12, 2)
NY = dt.timezone(dt.timedelta(hours=-5))


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A New York wall time (EST) on ``day``."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


@pytest.fixture
def now() -> Iterator[dt.datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


class Practice:
    location: Any
    other_location: Any
    adams: Any
    baker: Any
    appointments: list[Any]
    clerk: Any
    manager: Any


@pytest.fixture
def practice(db: None, now: dt.datetime) -> Practice:
    """Tomorrow at one location: Dr Baker 09:00 and 10:00, Dr Adams 11:00 and 08:30, plus a
    cancelled visit, a visit the day after, and one at another location (not printed)."""
    p = Practice()
    p.location = LocationFactory(code="main", name="Main Street Clinic")
    p.location.organization.tax_id = "12-3456789"
    p.location.organization.save()
    p.other_location = LocationFactory(code="north", name="North Clinic")
    p.adams = ProviderFactory(first_name="Ann", last_name="Adams")
    p.baker = ProviderFactory(first_name="Bob", last_name="Baker", specialty="Cardiology")
    visit = AppointmentTypeFactory(name="Follow-up", code="follow-up")
    patients = [PatientFactory(last_name=f"Zzpat{i}") for i in range(4)]
    for patient in patients:
        PatientPhoneFactory(patient=patient)
    CoverageFactory(patient=patients[0], plan=PlanFactory(), group_number="G-77")
    CoverageFactory(patient=patients[0], priority=2)
    p.appointments = [
        AppointmentFactory(
            location=p.location,
            provider=p.baker,
            patient=patients[0],
            appointment_type=visit,
            starts_at=at(TOMORROW, 9),
        ),
        AppointmentFactory(
            location=p.location,
            provider=p.baker,
            patient=patients[1],
            appointment_type=visit,
            starts_at=at(TOMORROW, 10),
        ),
        AppointmentFactory(
            location=p.location,
            provider=p.adams,
            patient=patients[2],
            appointment_type=visit,
            starts_at=at(TOMORROW, 11),
        ),
        AppointmentFactory(
            location=p.location,
            provider=p.adams,
            patient=patients[3],
            appointment_type=visit,
            starts_at=at(TOMORROW, 8, 30),
        ),
    ]
    p.cancelled = AppointmentFactory(
        location=p.location,
        provider=p.adams,
        patient=patients[1],
        appointment_type=visit,
        starts_at=at(TOMORROW, 14),
        status="cancelled",
        cancellation_reason="patient_request",
        cancelled_by="patient",
    )
    p.day_after = AppointmentFactory(
        location=p.location,
        provider=p.adams,
        patient=patients[1],
        appointment_type=visit,
        starts_at=at(TOMORROW + dt.timedelta(days=1), 9),
    )
    p.elsewhere = AppointmentFactory(
        location=p.other_location,
        provider=p.adams,
        patient=patients[2],
        appointment_type=visit,
        starts_at=at(TOMORROW, 15),
    )
    p.clerk = assign(UserFactory(role=Role.FRONT_DESK), p.location)
    p.manager = UserFactory(role=Role.PRACTICE_MANAGER)
    return p


def printed_order(p: Practice) -> list[int]:
    """Expected print order: provider (Adams before Baker), then time."""
    a = p.appointments
    return [a[3].pk, a[2].pk, a[0].pk, a[1].pk]


def pdf_reader(content: bytes, password: str | None = None) -> Any:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    if password is not None:
        reader.decrypt(password)
    return reader
