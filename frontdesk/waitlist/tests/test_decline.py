"""waitlist_offer_decline: only an open, unexpired offer can be declined; nothing changes otherwise."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict, NotFound
from frontdesk.waitlist.models import WaitlistOffer
from frontdesk.waitlist.services import waitlist_offer_accept, waitlist_offer_decline
from frontdesk.waitlist.tests.conftest import NOW
from tests.factories import LocationFactory, UserFactory, assign

pytestmark = pytest.mark.django_db


def test_decline_by_the_patient_frees_the_entry(clinic, make_entry, open_slot):
    entry = make_entry()
    (offer,) = open_slot()
    before = AuditEvent.objects.count()

    declined = waitlist_offer_decline(offer=offer)

    entry.refresh_from_db()
    assert (declined.status, declined.responded_at, entry.status) == ("declined", NOW, "active")
    row = AuditEvent.objects.order_by("sequence")[before:].get()
    assert (row.actor_id, row.actor_name, row.detail) == (
        None,
        "system (waitlist)",
        {"event": "waitlist_offer_declined", "by": "patient"},
    )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("accepted", "This offer is no longer open."),
        ("gone", "This time has already been taken by someone else."),
        ("expired", "This offer has expired."),
    ],
)
def test_decline_of_a_closed_offer_changes_nothing(clinic, make_entry, open_slot, setup, message):
    make_entry(minutes_ago=30)
    make_entry(minutes_ago=20)
    first, second = open_slot()
    if setup == "accepted":
        waitlist_offer_accept(offer=first, actor=clinic.clerk)
        target = first
    elif setup == "gone":
        waitlist_offer_accept(offer=first, actor=clinic.clerk)
        target = second
    else:
        target = first
    before_rows = list(WaitlistOffer.objects.order_by("pk").values())
    before_audit = AuditEvent.objects.count()
    travel = NOW + dt.timedelta(minutes=31 if setup == "expired" else 0)

    with time_machine.travel(travel, tick=False), pytest.raises(Conflict) as error:
        waitlist_offer_decline(offer=target)

    assert error.value.message == message
    assert list(WaitlistOffer.objects.order_by("pk").values()) == before_rows
    assert AuditEvent.objects.count() == before_audit


def test_staff_of_another_location_cannot_decline(clinic, make_entry, open_slot):
    make_entry()
    (offer,) = open_slot()
    outsider = UserFactory(role="front_desk")
    assign(outsider, LocationFactory())
    with pytest.raises(NotFound):
        waitlist_offer_decline(offer=offer, actor=outsider)
    offer.refresh_from_db()
    assert offer.status == "offered"
