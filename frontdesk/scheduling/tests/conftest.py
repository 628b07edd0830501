"""Fixtures for the scheduling tests: a clinic with one provider open Mondays 09:00–12:00 (New York)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.choices import Role
from tests.factories import (
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    PatientFactory,
    ProviderFactory,
)

# Tuesday 1 December 2026, 12:00 UTC; the clinic's next Monday is 7 December (EST, UTC-5).
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
NY = dt.timezone(dt.timedelta(hours=-5))


def monday(hour: int, minute: int = 0, *, day: int = 7) -> dt.datetime:
    """A wall time on Monday 7 December 2026 in New York (EST), as an aware datetime."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=NY)


@pytest.fixture
def now() -> Iterator[dt.datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def provider(location: Any) -> Any:
    provider = ProviderFactory()
    provider.locations.add(location)
    return provider


@pytest.fixture
def visit_type() -> Any:
    return AppointmentTypeFactory(name="Follow-up", code="follow-up", duration_minutes=20)


@pytest.fixture
def template(provider: Any, location: Any) -> Any:
    return AvailabilityTemplateFactory(provider=provider, location=location)


@pytest.fixture
def patient(db: None) -> Any:
    return PatientFactory()


@pytest.fixture
def clerk(make_user: Callable[..., Any], location: Any) -> Any:
    return make_user(Role.FRONT_DESK, location)


@pytest.fixture
def manager(make_user: Callable[..., Any], location: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, location)


@pytest.fixture
def clinic(now: dt.datetime, template: Any, visit_type: Any, patient: Any, clerk: Any) -> Any:
    """Everything a booking needs, as one namespace."""

    class Clinic:
        pass

    c = Clinic()
    c.now = now  # type: ignore[attr-defined]
    c.provider = template.provider  # type: ignore[attr-defined]
    c.location = template.location  # type: ignore[attr-defined]
    c.type = visit_type  # type: ignore[attr-defined]
    c.patient = patient  # type: ignore[attr-defined]
    c.clerk = clerk  # type: ignore[attr-defined]
    return c


@pytest.fixture
def book(clinic: Any) -> Callable[..., Any]:
    """Book through the service with the clinic's defaults; keyword arguments override them."""
    from frontdesk.scheduling.services import appointment_book

    def make(**overrides: Any) -> Any:
        args: dict[str, Any] = {
            "actor": clinic.clerk,
            "patient": clinic.patient,
            "provider": clinic.provider,
            "location": clinic.location,
            "appointment_type": clinic.type,
            "starts_at": monday(9),
        }
        args.update(overrides)
        return appointment_book(**args)

    return make
