"""Fixtures for the waitlist tests: the scheduling clinic (Mondays 09:00-12:00 New York) plus entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps

from frontdesk.scheduling.tests.conftest import (  # noqa: F401  (fixtures re-exported)
    NOW,
    clerk,
    clinic,
    manager,
    monday,
    now,
    patient,
    provider,
    template,
    visit_type,
)
from frontdesk.waitlist.models import WaitlistEntry
from tests.factories import PatientFactory


def delivery_without_consent() -> str:
    """An offer to a patient who consented to no channel: "none" once notifications are installed,
    "pending" (staff phone them) while the notifications app is absent."""
    return "none" if apps.is_installed("frontdesk.notifications") else "pending"


@pytest.fixture
def make_entry(clinic: Any) -> Callable[..., WaitlistEntry]:  # noqa: F811
    """An active entry for a fresh patient (or ``patient=``), waiting since ``minutes_ago``."""

    def make(
        *,
        minutes_ago: int = 60,
        providers: tuple[Any, ...] = (),
        locations: tuple[Any, ...] = (),
        **fields: Any,
    ) -> WaitlistEntry:
        values: dict[str, Any] = {
            "patient": fields.pop("patient", None) or PatientFactory(),
            "location": clinic.location,
            "appointment_type": clinic.type,
            "created_by": clinic.clerk,
            "created_at": NOW - dt.timedelta(minutes=minutes_ago),
        }
        values.update(fields)
        entry = WaitlistEntry.objects.create(**values)
        entry.providers.set(providers)
        entry.locations.set(locations)
        return entry

    return make


@pytest.fixture
def open_slot(clinic: Any) -> Callable[..., list[Any]]:  # noqa: F811
    """Announce Monday 10:00-10:20 (or ``start``) at the clinic as freed."""
    from frontdesk.waitlist.services import waitlist_slot_opened

    def opened(start: dt.datetime | None = None, minutes: int = 20, **kwargs: Any) -> list[Any]:
        start = start or monday(10)
        return waitlist_slot_opened(
            provider_id=clinic.provider.pk,
            location_id=clinic.location.pk,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=minutes),
            **kwargs,
        )

    return opened
