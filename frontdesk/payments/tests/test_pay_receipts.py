"""Receipts: plain-language PDFs, originals then copies, voids and refunds, e-mail to consent only."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import io
import socket
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict
from frontdesk.payments import receipts, services
from frontdesk.payments.tests.pay_fixtures import *  # noqa: F403 (fixtures)
from frontdesk.payments.tests.pay_fixtures import card, cash, check, key


def text_of(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_split_payment_receipt_says_what_was_paid_how_and_what_remains(
    clerk, location, patient, drawer, charge
):
    charge(patient, "25.00", days_ago=1)
    charge(patient, "60.00")
    payment = services.payment_take(
        actor=clerk,
        patient=patient,
        location=location,
        tenders=[cash("20.00", tendered="40.00"), card("30.00"), check("10.00", "2231")],
        idempotency_key=key(),
    )
    text = text_of(receipts.payment_receipt_pdf(user=clerk, payment=payment))
    assert "Receipt no. 1" in text
    assert "COPY" not in text
    assert "You paid $60.00" in text
    assert "Cash $20.00 (handed over $40.00, change $20.00)" in text
    assert "Card Visa \u00b7\u00b7\u00b7\u00b7 4242: $30.00, authorization" in text
    assert "Check no. 2231, Example Bank: $10.00" in text
    assert "Copay, service 12/06/2026: $25.00" in text
    assert "Copay, service 12/07/2026: $35.00" in text
    assert "After this payment: You owe $25.00." in text
    assert "4111" not in text
    again = text_of(receipts.payment_receipt_pdf(user=clerk, payment=payment))
    assert "Receipt no. 1 - COPY" in again
    assert "COPY: this is a reprint, not a second payment." in again
    prints = AuditEvent.objects.filter(detail__event="receipt_printed").order_by("sequence")
    assert [(e.detail["copy"], e.action) for e in prints] == [(False, "print"), (True, "print")]


def test_void_and_refund_receipts(clerk, biller, location, patient, drawer, biller_drawer):
    payment = services.payment_take(
        actor=clerk,
        patient=patient,
        location=location,
        tenders=[cash("50.00")],
        idempotency_key=key(),
    )
    refund = services.refund_issue(
        actor=biller,
        account=payment.account,
        location=location,
        amount="20.00",
        method="check",
        check_number="9001",
        reason="Overpaid",
        idempotency_key=key(),
    )
    text = text_of(receipts.refund_receipt_pdf(user=biller, refund=refund))
    assert "Refund receipt no. 2" in text
    assert "We refunded $20.00" in text
    assert "By practice check no. 9001." in text
    assert "Now: You have a credit of $30.00 on your account." in text
    assert "COPY" in text_of(receipts.refund_receipt_pdf(user=biller, refund=refund))
    voided = services.payment_void(actor=clerk, payment=payment, reason="Wrong account")
    assert voided.void_receipt_number == 3
    text = text_of(receipts.void_receipt_pdf(user=clerk, payment=voided))
    assert "Void receipt no. 3" in text
    assert "(receipt no. 1) is cancelled" in text
    assert "Cash $50.00 given back" in text
    assert "Reason: Wrong account" in text
    assert "Now: You owe $20.00." in text
    original = text_of(receipts.payment_receipt_pdf(user=clerk, payment=voided))
    assert "This payment was VOIDED" in original


def test_a_payment_without_a_receipt_number_has_no_receipt(clerk, location, patient, drawer):
    declined = services.payment_take(
        actor=clerk,
        patient=patient,
        location=location,
        tenders=[card("10.00", "tok_decline")],
        idempotency_key=key(),
    )
    with pytest.raises(Conflict) as caught:
        receipts.payment_receipt_pdf(user=clerk, payment=declined)
    assert caught.value.code == "no_receipt"


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Any:
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.DEFAULT_FROM_EMAIL = "billing@example.com"
    yield inbox
    controller.stop()
    asyncio.set_event_loop(None)


def test_a_receipt_is_emailed_only_to_a_consented_address(clerk, location, patient, drawer, smtp):
    payment = services.payment_take(
        actor=clerk,
        patient=patient,
        location=location,
        tenders=[cash("15.00")],
        idempotency_key=key(),
    )
    with pytest.raises(Conflict) as caught:
        receipts.receipt_email(user=clerk, payment=payment)
    assert caught.value.code == "no_email_consent"
    assert smtp.messages == []
    patient.email_consent_at = dt.date(2026, 1, 2)
    patient.save(update_fields=["email_consent_at"])
    masked = receipts.receipt_email(user=clerk, payment=payment)
    assert masked != patient.email
    [(to, message)] = smtp.messages
    assert to == [patient.email]
    assert message["Subject"] == f"Your receipt from {location.organization.name}"
    parts = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert [p.get_filename() for p in parts] == ["receipt-1.pdf"]
    assert "You paid $15.00" in text_of(parts[0].get_payload(decode=True))
    assert AuditEvent.objects.filter(detail__event="receipt_emailed").count() == 1
