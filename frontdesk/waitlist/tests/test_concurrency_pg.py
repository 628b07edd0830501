"""PostgreSQL: two patients accepting offers for one slot at the same moment get one booking."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import time_machine
from django.db import connection

from frontdesk.accounts.choices import Role
from frontdesk.core.errors import Conflict
from frontdesk.scheduling.models import Appointment
from frontdesk.scheduling.tests.conftest import NOW, monday
from frontdesk.waitlist.models import WaitlistEntry, WaitlistOffer
from frontdesk.waitlist.services import waitlist_offer_accept, waitlist_slot_opened
from tests.factories import (
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    UserFactory,
    assign,
)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks across threads need PostgreSQL; SQLite serializes writers")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("accepters", [2, 6])
def test_concurrent_accepts_of_one_slot_book_it_once(accepters: int, settings: Any) -> None:
    settings.WAITLIST_OFFERS_PER_OPENING = accepters
    location = LocationFactory()
    provider = ProviderFactory()
    provider.locations.add(location)
    AvailabilityTemplateFactory(provider=provider, location=location)
    visit = AppointmentTypeFactory(duration_minutes=20)
    clerk = assign(UserFactory(role=Role.FRONT_DESK), location)
    for minutes in range(accepters):
        WaitlistEntry.objects.create(
            patient=PatientFactory(),
            location=location,
            appointment_type=visit,
            created_by=clerk,
            created_at=NOW - dt.timedelta(minutes=60 - minutes),
        )
    with time_machine.travel(NOW, tick=False):
        offers = waitlist_slot_opened(
            provider_id=provider.pk,
            location_id=location.pk,
            starts_at=monday(10),
            ends_at=monday(10, 20),
        )
    assert len(offers) == accepters
    barrier = threading.Barrier(accepters)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(offer: WaitlistOffer) -> None:
        try:
            barrier.wait(timeout=30)
            waitlist_offer_accept(offer=offer, actor=clerk)
            result = "accepted"
        except Conflict as exc:
            result = "lost"
            assert exc.code in {"slot_taken", "offer_gone"}
        except Exception as exc:
            result = f"error:{type(exc).__name__}:{exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        threads = [threading.Thread(target=attempt, args=(offer,)) for offer in offers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert sorted(outcomes) == ["accepted"] + ["lost"] * (accepters - 1)
    assert Appointment.objects.filter(provider=provider).count() == 1
    assert sorted(WaitlistOffer.objects.values_list("status", flat=True)) == ["accepted"] + [
        "gone"
    ] * (accepters - 1)
    winner = WaitlistOffer.objects.get(status="accepted")
    assert Appointment.objects.get().patient_id == winner.entry.patient_id
    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == (
        {"booked", "active"} if accepters > 1 else {"booked"}
    )
