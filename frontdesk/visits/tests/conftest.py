"""Fixtures for the front-desk tests: Monday 7 December 2026 at 09:00 in New York, a clinic's morning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.choices import Role
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    CoverageFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
)

NY = dt.timezone(dt.timedelta(hours=-5))
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=NY)


def at(hour: int, minute: int = 0, *, day: int = 7) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=NY)


@pytest.fixture
def now() -> Iterator[dt.datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def clerk(make_user: Callable[..., Any], location: Any) -> Any:
    return make_user(Role.FRONT_DESK, location)


@pytest.fixture
def manager(make_user: Callable[..., Any], location: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, location)


@pytest.fixture
def nurse(make_user: Callable[..., Any], location: Any) -> Any:
    return make_user(Role.NURSE, location)


class Day:
    """Today's clinic: a provider, two rooms, a visit type, and a helper to book patients."""

    def __init__(self, location: Any) -> None:
        self.location = location
        self.provider = ProviderFactory(first_name="Ada", last_name="Examplia")
        self.provider.locations.add(location)
        self.type = AppointmentTypeFactory(name="Follow-up", duration_minutes=20)
        self.room1 = RoomFactory(location=location, name="Exam 1")
        self.room2 = RoomFactory(location=location, name="Exam 2")

    def book(
        self,
        start: dt.datetime,
        *,
        insured: bool = True,
        copay: str | None = "25.00",
        provider: Any = None,
        location: Any = None,
        **patient_fields: Any,
    ) -> Any:
        patient = PatientFactory(**patient_fields)
        if insured:
            CoverageFactory(patient=patient, copay_primary_care=Decimal(copay) if copay else None)
        return AppointmentFactory(
            patient=patient,
            provider=provider or self.provider,
            location=location or self.location,
            appointment_type=self.type,
            starts_at=start,
        )


@pytest.fixture
def day(now: dt.datetime, location: Any) -> Day:
    return Day(location)
