"""Payments written directly for drawer/day/settlement tests (the payment flow is pay's, tested there)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from frontdesk.core.counters import counter_next
from frontdesk.ledger import services as ledger
from frontdesk.ledger.choices import EntryKind, PaymentSource
from frontdesk.payments.choices import PaymentStatus, RefundMethod, TenderKind
from frontdesk.payments.models import DrawerSession, Payment, Refund, Tender
from tests.factories import PatientFactory

_keys = itertools.count(1)


def take_payment(
    drawer: DrawerSession,
    *tenders: tuple[str, str],
    actor: Any = None,
    appointment: Any = None,
    patient: Any = None,
    post: bool = False,
    at: dt.datetime | None = None,
    **tender_fields: Any,
) -> Payment:
    """A COMPLETED payment in ``drawer`` with the given (kind, amount) tenders.

    ``post=True`` posts its ledger entry through the ledger services (so a closed day refuses it),
    at ``at`` (default now).
    """
    actor = actor or drawer.user
    patient = patient or (appointment.patient if appointment else PatientFactory())
    account = ledger.account_for_patient(patient=patient)
    total = sum((Decimal(amount) for _kind, amount in tenders), Decimal("0.00"))
    entry = None
    if post:
        entry = ledger.entry_post(
            actor=actor,
            account=account,
            posting=ledger.Posting(
                kind=EntryKind.PAYMENT,
                code=PaymentSource.PATIENT,
                amount=-total,
                location=drawer.location,
                appointment=appointment,
            ),
            at=at,
        )
    now = at or timezone.now()
    payment = Payment.objects.create(
        account=account,
        patient=patient,
        appointment=appointment,
        location=drawer.location,
        drawer=drawer,
        taken_by=actor,
        taken_at=now,
        business_date=drawer.business_date,
        amount=total,
        status=PaymentStatus.COMPLETED,
        idempotency_key=f"test-{next(_keys)}",
        request_digest="0" * 64,
        receipt_number=counter_next(f"receipt:{drawer.location.pk}"),
        entry=entry,
    )
    for kind, amount in tenders:
        fields: dict[str, Any] = {}
        if kind == TenderKind.CHECK:
            fields["check_number"] = tender_fields.get("check_number", "1001")
        if kind in (TenderKind.CARD, TenderKind.HSA_FSA):
            fields["card_brand"] = "visa"
            fields["card_last4"] = "4242"
            fields["processor_transaction_id"] = tender_fields.get("txn", f"txn-{next(_keys)}")
        if kind == TenderKind.CASH and "cash_tendered" in tender_fields:
            fields["cash_tendered"] = Decimal(tender_fields["cash_tendered"])
            fields["change_given"] = Decimal(tender_fields["cash_tendered"]) - Decimal(amount)
        Tender.objects.create(payment=payment, kind=kind, amount=Decimal(amount), **fields)
    return payment


def void_payment(payment: Payment, *, actor: Any, drawer: DrawerSession | None = None) -> Payment:
    """Mark a payment voided (with a ledger reversal when it posted one), voided into ``drawer``."""
    void_entry = None
    if payment.entry_id:
        void_entry = ledger.entry_reverse(actor=actor, entry=payment.entry, reason="Test void")
    payment.status = PaymentStatus.VOIDED
    payment.voided_at = timezone.now()
    payment.voided_by = actor
    payment.void_reason = "Test void"
    payment.void_entry = void_entry
    fields = ["status", "voided_at", "voided_by", "void_reason", "void_entry"]
    if drawer is not None and hasattr(payment, "void_drawer_id"):
        payment.void_drawer = drawer  # type: ignore[attr-defined]
        fields.append("void_drawer")
    payment.save(update_fields=fields)
    return payment


def cash_refund(drawer: DrawerSession, amount: str, *, actor: Any = None) -> Refund:
    """A cash refund out of ``drawer`` (its ledger entry posted through the ledger services)."""
    actor = actor or drawer.user
    account = ledger.account_for_patient(patient=PatientFactory())
    entry = ledger.entry_post(
        actor=actor,
        account=account,
        posting=ledger.Posting(
            kind=EntryKind.REFUND,
            code="overpayment",
            amount=Decimal(amount),
            location=drawer.location,
        ),
    )
    return Refund.objects.create(
        account=account,
        location=drawer.location,
        drawer=drawer,
        method=RefundMethod.CASH,
        amount=Decimal(amount),
        reason="Overpaid",
        issued_by=actor,
        issued_at=timezone.now(),
        business_date=drawer.business_date,
        idempotency_key=f"refund-{next(_keys)}",
        request_digest="0" * 64,
        entry=entry,
        receipt_number=counter_next(f"receipt:{drawer.location.pk}"),
    )


def days_ago(location: Any, days: int) -> dt.date:
    return ledger.business_date(location, timezone.now()) - dt.timedelta(days=days)


def noon(location: Any, date: dt.date) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(12), tzinfo=location.tzinfo)
