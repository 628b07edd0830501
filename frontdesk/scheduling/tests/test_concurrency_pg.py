"""PostgreSQL: the database refuses double bookings, even when 20 clients book one slot at once."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from frontdesk.accounts.choices import Role
from frontdesk.scheduling.errors import SlotTaken
from frontdesk.scheduling.models import Appointment
from frontdesk.scheduling.services import appointment_book
from frontdesk.scheduling.tests.conftest import NOW, monday
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    UserFactory,
    assign,
)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints exist on PostgreSQL only; SQLite serializes writers")


def _insert(**fields: Any) -> None:
    with transaction.atomic():
        AppointmentFactory(**fields)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ({"patient": "other"}, "appointment_no_provider_overlap"),
        ({"provider": "other"}, "appointment_no_patient_overlap"),
        ({"provider": "other", "patient": "other", "room": "same"}, "appointment_no_room_overlap"),
    ],
)
def test_the_database_refuses_overlapping_active_rows(second, expected):
    provider, patient, room = ProviderFactory(), PatientFactory(), RoomFactory()
    visit = AppointmentTypeFactory(duration_minutes=30)
    start = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
    AppointmentFactory(
        provider=provider, patient=patient, room=room, appointment_type=visit, starts_at=start
    )
    fields = {
        "provider": ProviderFactory() if second.get("provider") == "other" else provider,
        "patient": PatientFactory() if second.get("patient") == "other" else patient,
        "room": room if second.get("room") == "same" else None,
        "appointment_type": visit,
        "starts_at": start + dt.timedelta(minutes=29),
    }
    with pytest.raises(IntegrityError) as caught:
        _insert(**fields)
    assert expected in str(caught.value)
    # Touching (half-open) and cancelled rows are fine.
    _insert(**{**fields, "starts_at": start + dt.timedelta(minutes=30)})
    _insert(
        **{
            **fields,
            "starts_at": start,
            "status": "cancelled",
            "cancellation_reason": "other",
            "cancelled_by": "practice",
        }
    )
    assert Appointment.objects.count() == 3


@pytest.mark.django_db
def test_overbooks_do_not_collide_with_the_provider_constraint_but_patients_still_do():
    provider = ProviderFactory()
    visit = AppointmentTypeFactory(duration_minutes=30)
    start = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
    first = AppointmentFactory(provider=provider, appointment_type=visit, starts_at=start)
    _insert(
        provider=provider,
        appointment_type=visit,
        starts_at=start,
        is_overbook=True,
        overbook_reason="Urgent",
    )
    with pytest.raises(IntegrityError) as caught:
        _insert(
            provider=provider,
            patient=first.patient,
            appointment_type=visit,
            starts_at=start,
            is_overbook=True,
            overbook_reason="Urgent",
        )
    assert "appointment_no_patient_overlap" in str(caught.value)
    assert Appointment.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_of_one_slot_yield_exactly_one_appointment():
    location = LocationFactory()
    provider = ProviderFactory()
    provider.locations.add(location)
    AvailabilityTemplateFactory(provider=provider, location=location)
    visit = AppointmentTypeFactory(duration_minutes=20)
    clerk = assign(UserFactory(role=Role.FRONT_DESK), location)
    patients = [PatientFactory() for _ in range(20)]
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(patient: Any) -> None:
        try:
            barrier.wait(timeout=30)
            appointment_book(
                actor=clerk,
                patient=patient,
                provider=provider,
                location=location,
                appointment_type=visit,
                starts_at=monday(9),
            )
            result = "booked"
        except SlotTaken as exc:
            result = f"taken:{exc.message}"
        except Exception as exc:
            result = f"error:{type(exc).__name__}:{exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    with time_machine.travel(NOW, tick=False):
        threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert sorted(outcomes) == ["booked"] + ["taken:That time was just taken; pick another."] * 19
    assert Appointment.objects.filter(provider=provider).count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_raw_inserts_leave_one_row():
    """Without any application lock or check, the exclusion constraint alone admits one row."""
    provider = ProviderFactory()
    visit = AppointmentTypeFactory(duration_minutes=20)
    patients = [PatientFactory() for _ in range(20)]
    start = dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(patient: Any) -> None:
        try:
            barrier.wait(timeout=30)
            _insert(provider=provider, patient=patient, appointment_type=visit, starts_at=start)
            result = "inserted"
        except IntegrityError as exc:
            result = "refused" if "appointment_no_provider_overlap" in str(exc) else str(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["inserted"] + ["refused"] * 19
    assert Appointment.objects.filter(provider=provider).count() == 1


@pytest.mark.django_db
def test_a_race_the_checks_miss_is_answered_slot_taken(clinic, book, monkeypatch):
    """If another writer slips in between check and insert, the constraint's refusal is mapped."""
    from frontdesk.scheduling import services

    book()
    monkeypatch.setattr(services, "_provider_clashes", lambda *args, **kwargs: [])
    with pytest.raises(SlotTaken) as caught:
        book(patient=PatientFactory(), starts_at=monday(9, 10))
    assert caught.value.message == "That time was just taken; pick another."
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_a_patient_race_the_checks_miss_is_answered_patient_overlap(clinic, book, monkeypatch):
    from frontdesk.scheduling import services

    book()
    other = ProviderFactory()
    other.locations.add(clinic.location)
    AvailabilityTemplateFactory(provider=other, location=clinic.location)
    monkeypatch.setattr(services, "_patient_clash", lambda *args, **kwargs: False)
    with pytest.raises(services.PatientDoubleBooked):
        book(provider=other, starts_at=monday(9, 10))
    assert Appointment.objects.count() == 1
