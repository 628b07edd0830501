"""An SMS "X" reply cancels the reminded appointment and offers the freed time to the waitlist."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest

from frontdesk.notifications.models import Message
from frontdesk.scheduling.models import Appointment
from frontdesk.scheduling.tests.conftest import book, monday  # noqa: F401  (fixture re-exported)
from frontdesk.waitlist.models import WaitlistOffer
from tests.factories import PatientPhoneFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "test-webhook-secret"


def _signed_post(client, payload):
    raw = json.dumps(payload).encode()
    signature = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/notifications/sms-inbound",
        raw,
        content_type="application/json",
        headers={"X-FrontDesk-Signature": signature},
    )


def test_sms_x_reply_cancels_and_the_waitlist_gets_an_offer(
    client,
    clinic,
    book,  # noqa: F811
    make_entry,
    settings,
):
    settings.NOTIFY_WEBHOOK_SECRET = SECRET
    settings.NOTIFY_QUIET_HOURS = ""
    PatientPhoneFactory(
        patient=clinic.patient, number="+12025550177", digits="2025550177", sms_capable=True
    )
    appointment = book(starts_at=monday(10))
    Message.objects.create(
        patient=clinic.patient,
        appointment=appointment,
        channel="sms",
        purpose="reminder_24h",
        to_address="+12025550177",
        body="reminder",
        status="sent",
        idempotency_key=f"reminder:{appointment.pk}:24:sms",
    )
    waiting = make_entry(minutes_ago=30)

    response = _signed_post(client, {"from": "+12025550177", "body": "X"})

    assert response.status_code == 200
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"
    offers = list(WaitlistOffer.objects.values_list("entry_id", "starts_at", "ends_at", "status"))
    assert offers == [(waiting.pk, monday(10), monday(10) + dt.timedelta(minutes=20), "offered")]
