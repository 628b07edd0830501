"""waitlist_slot_opened: who is offered a freed slot, in which order, with which expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from frontdesk.audit.models import AuditEvent
from frontdesk.scheduling.models import Appointment
from frontdesk.waitlist.models import WaitlistEntry, WaitlistOffer
from frontdesk.waitlist.services import offer_text
from frontdesk.waitlist.tests.conftest import NOW, delivery_without_consent, monday
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    LocationFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def test_ranking_filters_preferences_and_orders_by_priority_then_longest_waiting(
    clinic, make_entry, open_slot
):
    other_provider, other_location = ProviderFactory(), LocationFactory()
    later = AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(9, day=14),
    )
    earlier = AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(9),
    )
    oldest = make_entry(minutes_ago=300)
    urgent = make_entry(minutes_ago=10, priority=5)
    middle = make_entry(minutes_ago=200, providers=(clinic.provider,), weekdays=[0, 2])
    fourth = make_entry(minutes_ago=100, locations=(clinic.location,))
    # Each of these fails exactly one preference.
    make_entry(minutes_ago=900, appointment_type=AppointmentTypeFactory())
    make_entry(minutes_ago=900, providers=(other_provider,))
    make_entry(minutes_ago=900, locations=(other_location,))
    make_entry(minutes_ago=900, weekdays=[1])
    make_entry(minutes_ago=900, earliest_time=dt.time(10, 30))
    make_entry(minutes_ago=900, latest_time=dt.time(10, 15))  # the visit ends 10:20
    make_entry(minutes_ago=900, available_from=dt.date(2026, 12, 8))
    make_entry(minutes_ago=900, wanted_before=dt.date(2026, 12, 7))
    make_entry(minutes_ago=900, patient=earlier.patient, current_appointment=earlier)
    make_entry(minutes_ago=900, status="cancelled")
    # Wanting to move from a later appointment is a match.
    mover = make_entry(minutes_ago=150, patient=later.patient, current_appointment=later)

    offers = open_slot(appointment_type_id=clinic.type.pk)

    assert [(o.entry_id, o.rank) for o in offers] == [
        (urgent.pk, 1),
        (oldest.pk, 2),
        (middle.pk, 3),
    ]
    assert set(WaitlistEntry.objects.filter(status="offered").values_list("pk", flat=True)) == {
        urgent.pk,
        oldest.pk,
        middle.pk,
    }
    assert WaitlistEntry.objects.get(pk=mover.pk).status == "active"
    assert WaitlistEntry.objects.get(pk=fourth.pk).status == "active"


def test_offers_carry_the_slot_and_an_expiry(clinic, make_entry, open_slot, settings):
    settings.WAITLIST_OFFERS_PER_OPENING = 2
    settings.WAITLIST_OFFER_MINUTES = 10
    first, second, _third = (make_entry(minutes_ago=m) for m in (30, 20, 10))

    offers = open_slot()

    rows = list(
        WaitlistOffer.objects.order_by("rank").values(
            "entry_id",
            "provider_id",
            "location_id",
            "appointment_type_id",
            "starts_at",
            "ends_at",
            "rank",
            "status",
            "created_at",
            "expires_at",
            "delivery",
            "message_ids",
        )
    )
    common = {
        "provider_id": clinic.provider.pk,
        "location_id": clinic.location.pk,
        "appointment_type_id": clinic.type.pk,
        "starts_at": dt.datetime(2026, 12, 7, 15, 0, tzinfo=UTC),
        "ends_at": dt.datetime(2026, 12, 7, 15, 20, tzinfo=UTC),
        "status": "offered",
        "created_at": NOW,
        "expires_at": NOW + dt.timedelta(minutes=10),
        "delivery": delivery_without_consent(),
        "message_ids": [],
    }
    assert rows == [
        {"entry_id": first.pk, "rank": 1, **common},
        {"entry_id": second.pk, "rank": 2, **common},
    ]
    assert len({o.token for o in offers}) == 2
    assert all(len(o.token) == 32 for o in offers)
    # Offering the same slot again while offers are out promises nothing twice.
    assert open_slot() == []
    assert WaitlistOffer.objects.count() == 2


def test_offer_audit_rows_are_one_per_patient_offered(clinic, make_entry, open_slot):
    first, second = make_entry(minutes_ago=20), make_entry(minutes_ago=10)
    before = AuditEvent.objects.count()

    offers = open_slot()

    rows = list(
        AuditEvent.objects.order_by("sequence")[before:].values(
            "action", "category", "patient_id", "object_type", "object_id", "detail", "actor_id"
        )
    )
    assert rows == [
        {
            "action": "create",
            "category": "schedule",
            "patient_id": entry.patient_id,
            "object_type": "waitlist_offer",
            "object_id": str(offer.pk),
            "detail": {
                "event": "waitlist_offer_made",
                "entry_id": entry.pk,
                "rank": offer.rank,
                "delivery": delivery_without_consent(),
            },
            "actor_id": None,
        }
        for entry, offer in zip((first, second), offers, strict=True)
    ]


def test_no_offer_to_a_patient_who_would_clash(clinic, make_entry, open_slot):
    busy = make_entry(minutes_ago=50)
    free = make_entry(minutes_ago=10)
    AppointmentFactory(
        patient=busy.patient,
        provider=ProviderFactory(),
        location=clinic.location,
        starts_at=monday(10, 10),
    )

    offers = open_slot()

    assert [(o.entry_id, o.rank) for o in offers] == [(free.pk, 1)]
    assert WaitlistEntry.objects.get(pk=busy.pk).status == "active"


def test_no_offer_when_the_slot_is_not_bookable_or_too_short_or_past(clinic, make_entry, open_slot):
    make_entry()
    AppointmentFactory(
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        starts_at=monday(10),
    )
    assert open_slot() == []  # someone already has it
    assert open_slot(monday(13)) == []  # outside availability
    assert open_slot(monday(11), minutes=15) == []  # a 20-minute visit does not fit
    assert open_slot(NOW - dt.timedelta(hours=1)) == []
    assert WaitlistOffer.objects.count() == 0
    assert Appointment.objects.count() == 1


def test_offer_text_names_place_time_and_clinician_but_not_the_visit(clinic, make_entry, open_slot):
    clinic.type.name = "Diabetes review"
    clinic.type.save()
    make_entry(note="Prefers mornings")
    offer = open_slot()[0]

    text = offer_text(offer)

    assert text == (
        f"An earlier appointment is free at {clinic.location.name} on Mon Dec 07 at 10:00 with "
        f"{clinic.provider.display_name}. Call the office to accept (code {offer.token[:8]}) "
        "before 07:30. First to accept gets it."
    )
    assert "Diabetes" not in text
    assert "mornings" not in text


def test_without_a_type_any_type_that_fits_is_offered(clinic, make_entry, open_slot):
    short = AppointmentTypeFactory(duration_minutes=10)
    long = AppointmentTypeFactory(duration_minutes=40)
    fits = make_entry(minutes_ago=30, appointment_type=short)
    make_entry(minutes_ago=40, appointment_type=long)  # 40 minutes do not fit in a 20-minute gap

    offers = open_slot()

    assert [(o.entry_id, o.appointment_type_id, o.ends_at) for o in offers] == [
        (fits.pk, short.pk, dt.datetime(2026, 12, 7, 15, 10, tzinfo=UTC))
    ]


def test_an_offer_never_outlasts_the_slot(clinic, make_entry, open_slot):
    # Tuesday 1 December, 07:00-09:00 New York: NOW is 07:00 there; the slot starts at 07:15.
    AvailabilityTemplateFactory(
        provider=clinic.provider,
        location=clinic.location,
        weekday=1,
        start_time=dt.time(7),
        end_time=dt.time(9),
    )
    make_entry()

    (offer,) = open_slot(monday(7, 15, day=1))

    assert offer.expires_at == dt.datetime(2026, 12, 1, 12, 15, tzinfo=UTC)
