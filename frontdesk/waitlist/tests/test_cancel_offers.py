"""A cancellation through the API offers the freed time to the waitlist (issue 3, section 4)."""

from __future__ import annotations

import datetime as dt

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.scheduling.tests.conftest import book, monday  # noqa: F401  (fixture re-exported)
from frontdesk.waitlist.models import WaitlistOffer

pytestmark = pytest.mark.django_db


def test_api_cancellation_produces_waitlist_offers(clinic, book, make_entry):  # noqa: F811
    appointment = book(starts_at=monday(10))
    waiting = make_entry(minutes_ago=45)
    caller = key_client_for(Role.FRONT_DESK, clinic.location)

    response = caller.post(
        f"/api/v1/appointments/{appointment.pk}/cancel",
        {"reason": "patient_request", "cancelled_by": "patient"},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    offers = list(WaitlistOffer.objects.values_list("entry_id", "starts_at", "ends_at", "status"))
    assert offers == [
        (waiting.pk, monday(10), monday(10) + dt.timedelta(minutes=20), "offered"),
    ]


def test_cancellation_with_nobody_waiting_makes_no_offer(clinic, book):  # noqa: F811
    appointment = book(starts_at=monday(10))
    caller = key_client_for(Role.FRONT_DESK, clinic.location)
    response = caller.post(
        f"/api/v1/appointments/{appointment.pk}/cancel",
        {"reason": "patient_request", "cancelled_by": "patient"},
    )
    assert response.status_code == 200
    assert WaitlistOffer.objects.count() == 0
