# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
"""Delivery: e-mail to a real SMTP server on loopback (aiosmtpd) with an .ics; SMS through gateways."""

from __future__ import annotations

import datetime as dt
import email
import http.server
import ipaddress
import json
import socket
import ssl
import threading
from email import policy
from typing import Any

import icalendar
import pytest
from aiosmtpd.controller import Controller

from frontdesk.notifications.gateways import GatewayError, HttpGateway
from frontdesk.notifications.models import Message
from frontdesk.notifications.services import (
    appointment_ics,
    message_deliver_now,
    notification_send,
    reminder_content,
)
from frontdesk.notifications.tasks import message_deliver


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "reminders@example.com"
    yield inbox
    controller.stop()


def _reminder(appointment, channels):
    subject, text = reminder_content(appointment)
    return notification_send(
        patient=appointment.patient,
        purpose="reminder_24h",
        text=text,
        subject=subject,
        appointment=appointment,
        ics=appointment_ics(appointment),
        channels=channels,
        idempotency_key=f"reminder:{appointment.pk}:24",
    )


@pytest.mark.django_db
def test_a_reminder_email_arrives_over_smtp_with_its_ics(smtp, appointment):
    (message,) = _reminder(appointment, ["email"])

    assert message_deliver_now(message_id=message.pk) == "sent"

    assert len(smtp.envelopes) == 1
    envelope = smtp.envelopes[0]
    assert envelope.mail_from == "reminders@example.com"
    assert envelope.rcpt_tos == ["remindia@example.com"]
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert received["Subject"] == "Example Family Medicine (synthetic): appointment reminder"
    attachments = list(received.iter_attachments())
    assert [(part.get_filename(), part.get_content_type()) for part in attachments] == [
        ("appointment.ics", "text/calendar")
    ]
    calendar = icalendar.Calendar.from_ical(attachments[0].get_payload(decode=True))
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == appointment.starts_at.astimezone(dt.UTC)
    assert event.decoded("dtend") == appointment.ends_at.astimezone(dt.UTC)
    assert str(event["location"]).startswith("Example North Clinic, 1 Example Way")
    raw = envelope.content.decode("utf-8", "replace")
    assert "Zzsecretreason" not in raw
    assert "Zzsecretreason" not in attachments[0].get_payload(decode=True).decode()
    # The kiosk's check-in code follows the reminder text (frontdesk/kiosk/tests/test_reminder_code.py).
    assert received.get_body(("plain",)).get_content().startswith(message.body)
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.provider_message_id == received["Message-ID"]
    assert message.sent_at is not None


@pytest.mark.django_db
def test_the_reminder_text_names_practice_time_and_place_only(appointment):
    appointment.starts_at = dt.datetime(2026, 12, 7, 15, 5, tzinfo=dt.UTC)
    subject, text = reminder_content(appointment)
    assert subject == "Example Family Medicine (synthetic): appointment reminder"
    assert text == (
        "Example Family Medicine (synthetic): reminder of your appointment on Mon Dec 7, 2026 at "
        "10:05 AM EST at Example North Clinic, 1 Example Way, Springfield. "
        "Reply C to confirm, R to reschedule, X to cancel."
    )


@pytest.mark.django_db
def test_an_unreachable_smtp_server_marks_the_message_failed(settings, appointment):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    (message,) = _reminder(appointment, ["email"])

    assert message_deliver_now(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert (message.status, message.error, message.sent_at) == (
        "failed",
        "ConnectionRefusedError",
        None,
    )


@pytest.mark.django_db
def test_sms_goes_to_the_file_outbox_once_even_if_delivered_twice(settings, appointment):
    (message,) = _reminder(appointment, ["sms"])

    assert message_deliver.call(message.pk) == "sent"
    assert message_deliver.call(message.pk) == "sent"  # a retried task sends nothing more

    lines = (settings.DATA_DIR / "sms-outbox.jsonl").read_text().splitlines()
    assert len(lines) == 1
    sent = json.loads(lines[0])
    message.refresh_from_db()
    assert sent == {
        "id": message.provider_message_id,
        "to": "+12025550131",
        "from": settings.NOTIFY_SMS_FROM,
        "body": message.body,
    }
    assert "Zzsecretreason" not in lines[0]


@pytest.mark.django_db
def test_a_deferred_message_is_not_sent_before_its_time(settings, appointment):
    (message,) = _reminder(appointment, ["sms"])
    Message.objects.filter(pk=message.pk).update(
        status="deferred", send_after=appointment.starts_at - dt.timedelta(hours=1)
    )

    assert message_deliver_now(message_id=message.pk) == "deferred"
    assert not (settings.DATA_DIR / "sms-outbox.jsonl").exists()


class _Provider(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    answer_status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(
            {
                "auth": self.headers["Authorization"],
                "type": self.headers["Content-Type"],
                "json": json.loads(self.rfile.read(length)),
            }
        )
        body = json.dumps({"id": "prov-123"}).encode()
        self.send_response(type(self).answer_status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def provider():
    _Provider.received = []
    _Provider.answer_status = 200
    server = http.server.HTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_http_gateway_posts_json_with_the_bearer_token(settings, provider):
    url = f"http://127.0.0.1:{provider.server_address[1]}/sms"
    gateway = HttpGateway(url, "tok-abc")

    assert gateway.send(to="+12025550131", body="Hello") == "prov-123"
    assert _Provider.received == [
        {
            "auth": "Bearer tok-abc",
            "type": "application/json",
            "json": {"to": "+12025550131", "from": settings.NOTIFY_SMS_FROM, "body": "Hello"},
        }
    ]


def test_the_http_gateway_reports_provider_errors_as_codes(provider):
    _Provider.answer_status = 503
    gateway = HttpGateway(f"http://127.0.0.1:{provider.server_address[1]}/sms", "tok")
    with pytest.raises(GatewayError) as caught:
        gateway.send(to="+12025550131", body="Hello")
    assert str(caught.value) == "http_503"

    closed = HttpGateway(f"http://127.0.0.1:{_free_port()}/sms", "tok")
    with pytest.raises(GatewayError) as caught:
        closed.send(to="+12025550131", body="Hello")
    assert str(caught.value) == "unreachable"


def test_the_http_gateway_refuses_non_http_urls():
    with pytest.raises(ValueError):
        HttpGateway("file:///etc/passwd", "tok")


def test_an_https_url_never_falls_back_to_plain_http(provider):
    # A plain-HTTP server answering an https:// URL fails the TLS handshake: no silent downgrade.
    gateway = HttpGateway(f"https://127.0.0.1:{provider.server_address[1]}/sms", "tok")
    with pytest.raises(GatewayError) as caught:
        gateway.send(to="+12025550131", body="Hello")
    assert str(caught.value) == "unreachable"


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_refuses_a_certificate_it_cannot_verify(tmp_path):
    _Provider.received = []
    _Provider.answer_status = 200
    cert_path, key_path = _self_signed(tmp_path)
    server = http.server.HTTPServer(("127.0.0.1", 0), _Provider)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        gateway = HttpGateway(f"https://127.0.0.1:{server.server_address[1]}/sms", "tok")
        with pytest.raises(GatewayError) as caught:
            gateway.send(to="+12025550131", body="Hello")
        assert str(caught.value) == "tls_verify_failed"
        assert _Provider.received == []  # nothing (not even the token) went to the server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_the_configured_http_gateway_delivers_an_sms(settings, provider, appointment):
    settings.NOTIFY_SMS_GATEWAY = "http"
    settings.NOTIFY_SMS_HTTP_URL = f"http://127.0.0.1:{provider.server_address[1]}/sms"
    settings.NOTIFY_SMS_HTTP_TOKEN = "tok-xyz"
    (message,) = _reminder(appointment, ["sms"])

    assert message_deliver_now(message_id=message.pk) == "sent"
    message.refresh_from_db()
    assert message.provider_message_id == "prov-123"
    assert [r["json"]["body"] for r in _Provider.received] == [message.body]
