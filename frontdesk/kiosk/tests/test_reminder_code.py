"""The check-in code in reminder e-mails: a real SMTP server on loopback, the QR decoded by zxing-cpp,
and the decoded code accepted by the kiosk on the appointment's day only."""

from __future__ import annotations

import datetime as dt
import email
import io
import json
from email import policy
from typing import Any

import pytest
import time_machine
import zxingcpp
from PIL import Image

from frontdesk.kiosk.codes import kiosk_code, kiosk_code_decode
from frontdesk.notifications import checkin_code
from frontdesk.notifications.models import Message
from frontdesk.notifications.services import message_deliver_now, reminders_send_due
from frontdesk.notifications.tests.test_deliver import smtp as _smtp_server
from tests.factories import PatientPhoneFactory

from .conftest import at

pytestmark = pytest.mark.django_db

SEE_DESK = "Please see the front desk."


@pytest.fixture(autouse=True)
def _messaging(settings: Any, tmp_path: Any) -> None:
    settings.NOTIFY_QUIET_HOURS = ""
    settings.DATA_DIR = tmp_path
    settings.NOTIFY_SMS_GATEWAY = "file"


# The notifications tests' SMTP server (aiosmtpd on loopback), used here under its own name.
smtp = _smtp_server


@pytest.fixture
def tomorrow(book: Any) -> Any:
    """Tuesday 8 December 2026, 10:00 in New York; the patient takes e-mail and SMS."""
    appointment = book(
        at(10, day=8),
        first_name="Remy",
        last_name="Qrtestson",
        last_name_key="qrtestson",
        date_of_birth=dt.date(1981, 2, 3),
        email="remy.qrtestson@example.com",
        email_consent_at=dt.date(2026, 1, 5),
        sms_consent_at=dt.date(2026, 1, 5),
    )
    PatientPhoneFactory(patient=appointment.patient, number="+12025550177", sms_capable=True)
    return appointment


def _png_parts(received: Any) -> list[Any]:
    return [part for part in received.walk() if part.get_content_type() == "image/png"]


def _decode(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.mark.parametrize("hours", [24, 72])
def test_reminder_email_carries_the_check_in_qr_and_the_kiosk_accepts_it(
    hours, smtp, tablet, device, tomorrow, settings
):
    settings.NOTIFY_REMINDER_HOURS = [hours]
    run_at = tomorrow.starts_at - dt.timedelta(hours=hours)
    with time_machine.travel(run_at, tick=False):
        assert reminders_send_due(now=run_at) == 2
    email_message = Message.objects.get(channel="email")
    sms_message = Message.objects.get(channel="sms")
    assert email_message.purpose == sms_message.purpose == f"reminder_{hours}h"
    # The message log keeps the text only: the code is added when the e-mail is sent.
    assert "FDCHK" not in email_message.body
    assert message_deliver_now(message_id=email_message.pk) == "sent"
    assert message_deliver_now(message_id=sms_message.pk) == "sent"

    (envelope,) = smtp.envelopes
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert received.get_content_type() == "multipart/mixed"
    related = received.get_payload()[0]
    assert related.get_content_type() == "multipart/related"
    (png,) = _png_parts(received)
    assert png["Content-ID"] == "<check-in-code@frontdesk.invalid>"
    assert png.get_content_disposition() == "inline"
    assert [(p.get_filename(), p.get_content_type()) for p in received.iter_attachments()] == [
        ("appointment.ics", "text/calendar")
    ]
    code = kiosk_code(tomorrow)
    assert _decode(png.get_payload(decode=True)) == [code]
    plain = received.get_body(("plain",)).get_content()
    assert plain.startswith(email_message.body)
    assert "Scan this at the check-in tablet" in plain
    assert f"\n{code}\n" in plain
    html = received.get_body(("html",)).get_content()
    assert 'src="cid:check-in-code@frontdesk.invalid"' in html
    assert "Scan this at the check-in tablet" in html and code in html
    # No visit reason, no date of birth in the e-mail: in any header or text part (not the raw
    # bytes, whose random MIME boundaries, Message-ID and base64 image may hold "1981" by chance).
    texts = [f"{name}: {value}" for name, value in received.items()] + [plain, html]
    assert [t for t in texts if "Follow-up" in t or "1981" in t] == []

    # SMS: no code (no PHI-bearing link or code in a text message).
    outbox = (settings.DATA_DIR / "sms-outbox.jsonl").read_text()
    assert "FDCHK" not in outbox
    assert json.loads(outbox.splitlines()[0])["body"] == sms_message.body

    # The decoded code names the appointment's day and works at the tablet on that day only.
    assert kiosk_code_decode(code) == (tomorrow.pk, dt.date(2026, 12, 8))
    early = tablet.post("/kiosk/", {"code": code}, follow=True).content.decode()
    assert SEE_DESK in early and "Remy" not in early
    with time_machine.travel(at(9, 40, day=8), tick=False):
        page = tablet.post("/kiosk/", {"code": code}, follow=True).content.decode()
    assert "Hello, Remy" in page


def test_without_a_provider_the_reminder_goes_out_without_a_code(smtp, tomorrow, settings):
    settings.NOTIFY_REMINDER_HOURS = [24]
    run_at = tomorrow.starts_at - dt.timedelta(hours=24)
    checkin_code.unregister()
    try:
        with time_machine.travel(run_at, tick=False):
            reminders_send_due(now=run_at)
        message = Message.objects.get(channel="email")
        message_deliver_now(message_id=message.pk)
    finally:
        from frontdesk.kiosk.codes import kiosk_code_or_none

        checkin_code.register(kiosk_code_or_none)
    (envelope,) = smtp.envelopes
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert _png_parts(received) == []
    assert received.get_body(("plain",)).get_content().strip() == message.body


def test_a_cancelled_appointments_late_email_has_no_code(smtp, tomorrow, settings):
    settings.NOTIFY_REMINDER_HOURS = [24]
    run_at = tomorrow.starts_at - dt.timedelta(hours=24)
    with time_machine.travel(run_at, tick=False):
        reminders_send_due(now=run_at)
    type(tomorrow).objects.filter(pk=tomorrow.pk).update(
        status="cancelled", cancellation_reason="Patient called", cancelled_by="patient"
    )
    message = Message.objects.get(channel="email")
    message_deliver_now(message_id=message.pk)
    (envelope,) = smtp.envelopes
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert _png_parts(received) == []
    assert "FDCHK" not in envelope.content.decode("utf-8", "replace")
