"""waitlist_offer_accept: first accept wins, the others are told it is gone; expiry; entries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from frontdesk.scheduling.errors import SlotTaken
from frontdesk.scheduling.models import Appointment
from frontdesk.scheduling.services import appointment_book
from frontdesk.waitlist.models import WaitlistEntry, WaitlistOffer
from frontdesk.waitlist.services import (
    SYSTEM_USERNAME,
    waitlist_entry_cancel,
    waitlist_entry_create,
    waitlist_offer_accept,
    waitlist_offers_expire,
)
from frontdesk.waitlist.tests.conftest import NOW, monday
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def audit_since(before: int) -> list[tuple[str, str, str, int | None, int | None]]:
    return [
        (
            row["action"],
            row["object_type"],
            row["detail"].get("event", ""),
            row["patient_id"],
            row["actor_id"],
        )
        for row in AuditEvent.objects.order_by("sequence")[before:].values(
            "action", "object_type", "detail", "patient_id", "actor_id"
        )
    ]


def statuses() -> list[tuple[int, str, str]]:
    return list(
        WaitlistOffer.objects.order_by("rank").values_list("rank", "status", "entry__status")
    )


def test_first_accept_books_and_the_others_are_gone(clinic, make_entry, open_slot):
    entries = [make_entry(minutes_ago=m) for m in (30, 20, 10)]
    first, second, _third = open_slot()
    before = AuditEvent.objects.count()

    accepted = waitlist_offer_accept(offer=second, actor=clinic.clerk)

    appointment = Appointment.objects.get()
    assert (appointment.patient_id, appointment.starts_at, appointment.status) == (
        entries[1].patient_id,
        dt.datetime(2026, 12, 7, 15, 0, tzinfo=UTC),
        "booked",
    )
    assert appointment.booked_by == clinic.clerk
    assert (accepted.status, accepted.responded_at, accepted.appointment_id) == (
        "accepted",
        NOW,
        appointment.pk,
    )
    assert statuses() == [(1, "gone", "active"), (2, "accepted", "booked"), (3, "gone", "active")]
    assert audit_since(before) == [
        ("create", "appointment", "booked", entries[1].patient_id, clinic.clerk.pk),
        (
            "update",
            "waitlist_offer",
            "waitlist_offer_accepted",
            entries[1].patient_id,
            clinic.clerk.pk,
        ),
        ("update", "waitlist_offer", "waitlist_offer_gone", entries[0].patient_id, None),
        ("update", "waitlist_offer", "waitlist_offer_gone", entries[2].patient_id, None),
    ]

    # The second accept loses with a clear answer and changes nothing.
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict) as caught:
        waitlist_offer_accept(offer=first, actor=clinic.clerk)
    assert (caught.value.code, caught.value.message) == (
        "offer_gone",
        "This time has already been taken by someone else.",
    )
    assert Appointment.objects.count() == 1
    assert statuses() == [(1, "gone", "active"), (2, "accepted", "booked"), (3, "gone", "active")]
    assert AuditEvent.objects.count() == before


def test_a_slot_booked_meanwhile_makes_the_accepted_offer_gone(clinic, make_entry, open_slot):
    make_entry()
    (offer,) = open_slot()
    appointment_book(
        actor=clinic.clerk,
        patient=PatientFactory(),
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(10),
    )

    with pytest.raises(SlotTaken):
        waitlist_offer_accept(offer=offer, actor=clinic.clerk)

    assert statuses() == [(1, "gone", "active")]
    assert Appointment.objects.count() == 1


def test_accepting_moves_the_patient_from_their_later_appointment(clinic, make_entry, open_slot):
    later = AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(9, day=14),
    )
    make_entry(patient=later.patient, current_appointment=later)
    (offer,) = open_slot()

    waitlist_offer_accept(offer=offer, actor=clinic.clerk)

    later.refresh_from_db()
    assert (later.status, later.cancellation_reason, later.cancelled_by) == (
        "cancelled",
        "patient_request",
        "patient",
    )
    assert list(
        Appointment.objects.filter(patient=later.patient, status="booked").values_list(
            "starts_at", flat=True
        )
    ) == [dt.datetime(2026, 12, 7, 15, 0, tzinfo=UTC)]


def test_a_patient_accepting_books_as_the_waitlist_service_user(clinic, make_entry, open_slot):
    make_entry()
    (offer,) = open_slot()

    waitlist_offer_accept(offer=offer)

    appointment = Appointment.objects.get()
    assert appointment.booked_by.username == SYSTEM_USERNAME
    assert appointment.booked_by.is_service_account is True
    assert appointment.booked_by.has_usable_password() is False
    assert (
        AuditEvent.objects.filter(
            object_type="waitlist_offer", detail__by="patient", actor_id=None
        ).count()
        == 1
    )


def test_expired_offers_cannot_be_accepted_and_the_task_offers_the_next_patients(
    clinic, make_entry, open_slot, settings
):
    settings.WAITLIST_OFFERS_PER_OPENING = 2
    entries = [make_entry(minutes_ago=m) for m in (40, 30, 20, 10)]
    first, _second = open_slot()

    with time_machine.travel(NOW + dt.timedelta(minutes=30), tick=False):
        with pytest.raises(Conflict) as caught:
            waitlist_offer_accept(offer=first, actor=clinic.clerk)
        assert (caught.value.code, caught.value.message) == (
            "offer_expired",
            "This offer has expired.",
        )
        assert Appointment.objects.count() == 0
        before = AuditEvent.objects.count()

        assert waitlist_offers_expire() == 2

    rows = list(
        WaitlistOffer.objects.order_by("pk").values_list("entry_id", "rank", "status", "expires_at")
    )
    later = NOW + dt.timedelta(minutes=60)
    assert rows == [
        (entries[0].pk, 1, "expired", NOW + dt.timedelta(minutes=30)),
        (entries[1].pk, 2, "expired", NOW + dt.timedelta(minutes=30)),
        (entries[2].pk, 1, "offered", later),
        (entries[3].pk, 2, "offered", later),
    ]
    assert [e.status for e in WaitlistEntry.objects.order_by("pk")] == [
        "active",
        "active",
        "offered",
        "offered",
    ]
    assert [row[:3] for row in audit_since(before)] == [
        ("update", "waitlist_offer", "waitlist_offer_expired"),
        ("update", "waitlist_offer", "waitlist_offer_expired"),
        ("create", "waitlist_offer", "waitlist_offer_made"),
        ("create", "waitlist_offer", "waitlist_offer_made"),
    ]


def test_entry_create_and_cancel_are_validated_and_audited(clinic, make_user):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        waitlist_entry_create(
            actor=clinic.clerk,
            patient=clinic.patient,
            location=clinic.location,
            appointment_type=clinic.type,
            weekdays=[7],
            earliest_time=dt.time(12),
            latest_time=dt.time(9),
            wanted_before=dt.date(2026, 12, 1),
            priority=12,
        )
    assert caught.value.fields == {
        "weekdays": ["Weekdays are 0 (Monday) to 6 (Sunday)."],
        "latest_time": ["Latest time must be after earliest time."],
        "wanted_before": ["Pick a date after today."],
        "priority": ["Priority is 0 to 9."],
    }
    with pytest.raises(PermissionDenied):
        waitlist_entry_create(
            actor=make_user(Role.BILLING, clinic.location),
            patient=clinic.patient,
            location=clinic.location,
            appointment_type=clinic.type,
        )
    assert WaitlistEntry.objects.count() == 0
    assert AuditEvent.objects.count() == before

    entry = waitlist_entry_create(
        actor=clinic.clerk,
        patient=clinic.patient,
        location=clinic.location,
        appointment_type=clinic.type,
        providers=[clinic.provider],
        weekdays=[2, 0, 0],
        earliest_time=dt.time(8),
        wanted_before=dt.date(2026, 12, 20),
        priority=3,
        note="Can come at short notice",
    )
    assert (entry.status, entry.weekdays, entry.created_at, entry.created_by) == (
        "active",
        [0, 2],
        NOW,
        clinic.clerk,
    )
    assert list(entry.providers.all()) == [clinic.provider]
    waitlist_entry_cancel(actor=clinic.clerk, entry=entry)
    assert WaitlistEntry.objects.get().status == "cancelled"
    with pytest.raises(Conflict):
        waitlist_entry_cancel(actor=clinic.clerk, entry=entry)
    assert audit_since(before) == [
        ("create", "waitlist_entry", "waitlist_entry_created", clinic.patient.pk, clinic.clerk.pk),
        (
            "update",
            "waitlist_entry",
            "waitlist_entry_cancelled",
            clinic.patient.pk,
            clinic.clerk.pk,
        ),
    ]


def test_staff_of_another_location_cannot_accept(clinic, make_entry, open_slot, make_user):
    from frontdesk.core.errors import NotFound
    from tests.factories import LocationFactory

    make_entry()
    (offer,) = open_slot()
    stranger = make_user(Role.FRONT_DESK, LocationFactory())
    with pytest.raises(NotFound):
        waitlist_offer_accept(offer=offer, actor=stranger)
    assert statuses() == [(1, "offered", "offered")]
    assert Appointment.objects.count() == 0
