# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
"""The signed inbound SMS webhook and the C / R / X replies."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest

from frontdesk.audit.models import AuditEvent
from frontdesk.notifications.models import FollowUpTask, InboundMessage, Message
from frontdesk.scheduling.models import Appointment, AppointmentEvent
from tests.factories import AppointmentFactory

URL = "/api/v1/notifications/sms-inbound"


def _sign(raw: bytes, secret: str = "test-webhook-secret") -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def _post(client, payload, *, signature=None):
    raw = json.dumps(payload).encode()
    return client.post(
        URL,
        raw,
        content_type="application/json",
        headers={"X-FrontDesk-Signature": _sign(raw) if signature is None else signature},
    )


def _reminded(appointment, status="sent"):
    return Message.objects.create(
        patient=appointment.patient,
        appointment=appointment,
        channel="sms",
        purpose="reminder_24h",
        to_address="+12025550131",
        body="reminder",
        status=status,
        idempotency_key=f"reminder:{appointment.pk}:24:sms",
    )


def _state():
    return {
        "appointments": list(Appointment.objects.order_by("pk").values()),
        "inbound": list(InboundMessage.objects.order_by("pk").values()),
        "tasks": FollowUpTask.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("signature", ["", "0" * 64, _sign(b"other body")])
def test_a_bad_signature_is_401_and_records_nothing(client, appointment, signature):
    _reminded(appointment)
    before = _state()

    response = _post(client, {"from": "+12025550131", "body": "X"}, signature=signature)

    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthenticated",
        "message": "The request signature is missing or wrong.",
        "fields": {},
    }
    assert _state() == before


@pytest.mark.django_db
def test_the_wrong_secret_is_refused(client, settings, appointment):
    raw = json.dumps({"from": "+12025550131", "body": "C"}).encode()
    response = client.post(
        URL,
        raw,
        content_type="application/json",
        headers={"X-FrontDesk-Signature": _sign(raw, "another-secret")},
    )
    assert response.status_code == 401
    assert InboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_number_is_recorded_and_answered_like_any_other(client, appointment):
    _reminded(appointment)
    before = list(Appointment.objects.values())

    response = _post(client, {"from": "+12025550199", "body": "X", "id": "p-1"})

    assert response.status_code == 200
    assert response.json() == {"status": "received"}
    (inbound,) = InboundMessage.objects.all()
    assert (inbound.from_number, inbound.body, inbound.patient_id, inbound.action) == (
        "+12025550199",
        "X",
        None,
        "unknown_sender",
    )
    assert list(Appointment.objects.values()) == before
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_c_confirms_the_reminded_appointment(client, appointment):
    _reminded(appointment)

    response = _post(client, {"from": "(202) 555-0131", "body": " c ", "id": "p-2"})

    assert response.status_code == 200
    assert response.json() == {"status": "received"}
    appointment.refresh_from_db()
    assert (appointment.status, appointment.confirmation_status) == ("booked", "confirmed")
    (inbound,) = InboundMessage.objects.all()
    assert (
        inbound.patient_id,
        inbound.appointment_id,
        inbound.action,
        inbound.provider_message_id,
    ) == (
        appointment.patient_id,
        appointment.pk,
        "confirmed",
        "p-2",
    )
    (row,) = AuditEvent.objects.all()
    assert (row.action, row.category, row.patient_id, row.object_type, row.object_id) == (
        "update",
        "schedule",
        appointment.patient_id,
        "appointment",
        str(appointment.pk),
    )
    assert row.detail == {
        "event": "sms_reply",
        "confirmation_status": "confirmed",
        "inbound": inbound.pk,
    }


@pytest.mark.django_db
def test_r_asks_for_a_call_back(client, appointment):
    _reminded(appointment)

    assert _post(client, {"from": "+12025550131", "body": "R please"}).status_code == 200

    appointment.refresh_from_db()
    assert (appointment.status, appointment.confirmation_status) == (
        "booked",
        "reschedule_requested",
    )
    (task,) = FollowUpTask.objects.all()
    assert (task.kind, task.patient_id, task.appointment_id, task.done_at) == (
        "reschedule_callback",
        appointment.patient_id,
        appointment.pk,
        None,
    )
    assert InboundMessage.objects.get().action == "reschedule_requested"
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_x_cancels_as_the_patient(client, appointment):
    _reminded(appointment)

    assert _post(client, {"from": "+12025550131", "body": "X"}).status_code == 200

    appointment.refresh_from_db()
    assert (
        appointment.status,
        appointment.cancelled_by,
        appointment.cancellation_reason,
        appointment.is_late_cancel,
    ) == ("cancelled", "patient", "patient_request", False)
    (event,) = AppointmentEvent.objects.filter(appointment=appointment)
    assert (event.kind, event.actor_id, event.from_status, event.to_status) == (
        "cancelled",
        None,
        "booked",
        "cancelled",
    )
    (row,) = AuditEvent.objects.all()
    assert (row.action, row.object_type, row.detail["event"], row.detail["via"]) == (
        "update",
        "appointment",
        "cancelled",
        "sms_reply",
    )
    assert InboundMessage.objects.get().action == "cancelled"


@pytest.mark.django_db
def test_the_reply_applies_to_the_next_appointment_reminded_by_sms(client, appointment):
    later = AppointmentFactory(
        patient=appointment.patient,
        location=appointment.location,
        starts_at=appointment.starts_at + dt.timedelta(days=3),
    )
    _reminded(later)  # only the later one was reminded by SMS
    Message.objects.create(
        patient=appointment.patient,
        appointment=appointment,
        channel="email",
        purpose="reminder_24h",
        to_address="remindia@example.com",
        body="reminder",
        status="sent",
        idempotency_key="reminder:email-only",
    )

    _post(client, {"from": "+12025550131", "body": "C"})

    appointment.refresh_from_db()
    later.refresh_from_db()
    assert (appointment.confirmation_status, later.confirmation_status) == (
        "unconfirmed",
        "confirmed",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "reminded", "action"),
    [
        ("maybe", True, "not_understood"),
        ("C", False, "no_appointment"),
        ("", True, "not_understood"),
    ],
)
def test_replies_that_match_nothing_change_nothing(client, appointment, body, reminded, action):
    if reminded:
        _reminded(appointment)
    before = list(Appointment.objects.values())

    assert _post(client, {"from": "+12025550131", "body": body}).status_code == 200

    assert list(Appointment.objects.values()) == before
    inbound = InboundMessage.objects.get()
    assert (inbound.patient_id, inbound.action) == (appointment.patient_id, action)
    assert FollowUpTask.objects.count() == 0
    (row,) = AuditEvent.objects.all()
    assert (row.action, row.object_type, row.detail) == (
        "create",
        "inbound_message",
        {"action": action},
    )


@pytest.mark.django_db
def test_x_on_an_already_cancelled_appointment_changes_nothing(client, appointment):
    _reminded(appointment)
    _post(client, {"from": "+12025550131", "body": "X"})
    before = list(Appointment.objects.values())

    _post(client, {"from": "+12025550131", "body": "X"})

    assert list(Appointment.objects.values()) == before
    assert [i.action for i in InboundMessage.objects.order_by("pk")] == [
        "cancelled",
        "no_appointment",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw", [b'{"from": 5}', b"not json", b'["C"]', b'{"from": "+12025550131"}']
)
def test_a_signed_but_malformed_body_is_400_and_records_nothing(client, raw):
    response = client.post(
        URL, raw, content_type="application/json", headers={"X-FrontDesk-Signature": _sign(raw)}
    )
    assert response.status_code == 400
    message = 'Send JSON {"from": "+1...", "body": "...", "id": "..."}.'
    assert response.json() == {
        "code": "invalid",
        "message": message,
        "fields": {"body": [message]},
    }
    assert InboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_a_deactivated_patients_number_is_unknown(client, appointment):
    _reminded(appointment)
    type(appointment.patient).objects.filter(pk=appointment.patient_id).update(is_active=False)

    _post(client, {"from": "+12025550131", "body": "C"})

    appointment.refresh_from_db()
    assert appointment.confirmation_status == "unconfirmed"
    assert InboundMessage.objects.get().action == "unknown_sender"


@pytest.mark.django_db
def test_without_a_secret_the_webhook_refuses_everything(client, settings, appointment):
    _reminded(appointment)
    settings.NOTIFY_WEBHOOK_SECRET = ""
    raw = json.dumps({"from": "+12025550131", "body": "C"}).encode()
    unsigned_hmac = hmac.new(b"", raw, hashlib.sha256).hexdigest()

    response = client.post(
        URL, raw, content_type="application/json", headers={"X-FrontDesk-Signature": unsigned_hmac}
    )

    assert response.status_code == 401
    assert InboundMessage.objects.count() == 0


@pytest.mark.django_db
def test_the_provider_needs_no_csrf_token(appointment):
    from django.test import Client

    _reminded(appointment)
    strict = Client(enforce_csrf_checks=True)

    response = _post(strict, {"from": "+12025550131", "body": "C"})

    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.confirmation_status == "confirmed"


@pytest.mark.django_db
def test_x_that_scheduling_refuses_changes_nothing_and_is_recorded(client, appointment):
    Appointment.objects.filter(pk=appointment.pk).update(status="arrived")
    _reminded(appointment)
    before = list(Appointment.objects.values())

    assert _post(client, {"from": "+12025550131", "body": "X"}).status_code == 200

    assert list(Appointment.objects.values()) == before
    assert AppointmentEvent.objects.count() == 0
    inbound = InboundMessage.objects.get()
    assert (inbound.appointment_id, inbound.action) == (appointment.pk, "failed")
    (row,) = AuditEvent.objects.all()
    assert (row.object_type, row.object_id, row.detail) == (
        "inbound_message",
        str(inbound.pk),
        {"action": "failed"},
    )
