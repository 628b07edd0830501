"""The waitlist JSON API end to end: add an entry, an opening produces offers, accept, the loser hears 409."""

from __future__ import annotations

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.scheduling.models import Appointment
from frontdesk.waitlist.models import WaitlistEntry
from frontdesk.waitlist.tests.conftest import delivery_without_consent

pytestmark = pytest.mark.django_db


def test_entry_offer_accept_round_trip(clinic, open_slot, make_entry):
    caller = key_client_for(Role.SCHEDULER, clinic.location)
    rival = make_entry(minutes_ago=500)

    created = caller.post(
        "/api/v1/waitlist-entries",
        {
            "patient_id": str(clinic.patient.pk),
            "location_id": str(clinic.location.pk),
            "appointment_type_id": str(clinic.type.pk),
            "provider_ids": [str(clinic.provider.pk)],
            "weekdays": [0],
            "earliest_time": "09:30",
            "priority": 2,
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    entry_id = body["id"]
    assert {k: body[k] for k in ("patient_id", "provider_ids", "weekdays", "status")} == {
        "patient_id": str(clinic.patient.pk),
        "provider_ids": [str(clinic.provider.pk)],
        "weekdays": [0],
        "status": "active",
    }
    assert body["earliest_time"] == "09:30:00"

    offers = open_slot()
    assert [o.entry_id for o in offers] == [int(entry_id), rival.pk]  # priority 2 beats waiting

    listed = caller.get("/api/v1/waitlist-offers", {"status": "offered"}).json()
    assert [(item["entry_id"], item["rank"], item["delivery"]) for item in listed["items"]] == [
        (entry_id, 1, delivery_without_consent()),
        (str(rival.pk), 2, delivery_without_consent()),
    ]

    accepted = caller.post(f"/api/v1/waitlist-offers/{offers[0].pk}/accept", {})
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["appointment_id"] == str(Appointment.objects.get().pk)

    lost = caller.post(f"/api/v1/waitlist-offers/{offers[1].pk}/accept", {})
    assert lost.status_code == 409
    assert lost.json() == {
        "code": "offer_gone",
        "message": "This time has already been taken by someone else.",
        "fields": {},
    }
    assert Appointment.objects.count() == 1
    entries = caller.get("/api/v1/waitlist-entries").json()["items"]
    assert [(e["id"], e["status"]) for e in entries] == [
        (str(rival.pk), "active"),
        (entry_id, "booked"),
    ]
    cancelled = caller.post(f"/api/v1/waitlist-entries/{entry_id}/cancel", {})
    assert cancelled.status_code == 409
    assert cancelled.json()["code"] == "entry_closed"


def test_bad_entry_input_is_a_400_and_writes_nothing(clinic):
    caller = key_client_for(Role.FRONT_DESK, clinic.location)
    response = caller.post(
        "/api/v1/waitlist-entries",
        {
            "patient_id": str(clinic.patient.pk),
            "location_id": str(clinic.location.pk),
            "appointment_type_id": str(clinic.type.pk),
            "earliest_time": "11:00",
            "latest_time": "10:00",
        },
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "latest_time": ["Latest time must be after earliest time."]
    }
    assert WaitlistEntry.objects.count() == 0
