"""Fixtures for the kiosk: Monday 7 December 2026, 09:00 in New York; a tablet in the waiting room."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from frontdesk.accounts.choices import Role
from frontdesk.kiosk.services import kiosk_device_register
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    CoverageFactory,
    PatientFactory,
    PatientPhoneFactory,
    ProviderFactory,
    UserFactory,
    assign,
)

NY = dt.timezone(dt.timedelta(hours=-5))
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=NY)


def at(hour: int, minute: int = 0, *, day: int = 7) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=NY)


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def now() -> Iterator[dt.datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def manager(location: Any) -> Any:
    return assign(UserFactory(role=Role.PRACTICE_MANAGER), location)


@pytest.fixture
def clerk(location: Any) -> Any:
    return assign(UserFactory(role=Role.FRONT_DESK), location)


@pytest.fixture
def registered(manager: Any, location: Any) -> tuple[Any, str]:
    return kiosk_device_register(actor=manager, location=location, name="Lobby tablet")


@pytest.fixture
def tablet(registered: tuple[Any, str]) -> Client:
    """A browser enrolled as the lobby tablet (its device cookie is set)."""
    client = Client()
    response = client.post("/kiosk/enroll/", {"code": registered[1]})
    assert response.status_code == 302
    return client


@pytest.fixture
def device(registered: tuple[Any, str], tablet: Client) -> Any:
    registered[0].refresh_from_db()
    return registered[0]


@pytest.fixture
def provider(location: Any) -> Any:
    provider = ProviderFactory(first_name="Ada", last_name="Examplia")
    provider.locations.add(location)
    return provider


@pytest.fixture
def book(location: Any, provider: Any) -> Any:
    visit_type = AppointmentTypeFactory(name="Follow-up", duration_minutes=20)

    def make(start: dt.datetime, *, where: Any = None, patient: Any = None, **fields: Any) -> Any:
        if patient is None:
            patient = PatientFactory(**fields)
            CoverageFactory(patient=patient, member_id="ZZ99887766")
            PatientPhoneFactory(patient=patient, number="+12025550123")
        return AppointmentFactory(
            patient=patient,
            provider=provider,
            location=where or location,
            appointment_type=visit_type,
            starts_at=start,
        )

    return make


@pytest.fixture
def patient_appt(now: dt.datetime, book: Any) -> Any:
    return book(
        at(10, 30),
        first_name="Zelda",
        last_name="Núñez-Testwell",
        last_name_key="nuneztestwell",
        date_of_birth=dt.date(1970, 3, 4),
        address_line1="42 Example Street",
        city="Springfield",
        state="IL",
        postal_code="62701",
    )
