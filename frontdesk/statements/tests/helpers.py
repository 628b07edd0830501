"""Test helpers: payments written the way the pay service records them (rows + ledger entry)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.utils import timezone

from frontdesk.core.counters import counter_next
from frontdesk.ledger import services as ledger
from frontdesk.ledger.choices import EntryKind, PaymentSource
from frontdesk.payments.choices import DrawerStatus, PaymentStatus, TenderKind
from frontdesk.payments.models import DrawerSession, Payment, Tender
from tests.factories import DrawerSessionFactory


def _drawer(location: Any, user: Any) -> DrawerSession:
    found = DrawerSession.objects.filter(
        location=location, user=user, status=DrawerStatus.OPEN
    ).first()
    return found or DrawerSessionFactory(location=location, user=user)


def take_payment(
    actor: Any,
    account: Any,
    location: Any,
    amount: str,
    *,
    kind: str = TenderKind.CASH,
    appointment: Any = None,
    drawer: Any = None,
) -> Payment:
    value = Decimal(amount)
    entry = ledger.entry_post(
        actor=actor,
        account=account,
        posting=ledger.Posting(
            kind=EntryKind.PAYMENT,
            code=PaymentSource.PATIENT,
            amount=-value,
            location=location,
            appointment=appointment,
            description="Payment",
        ),
        audit=False,
    )
    now = timezone.now()
    payment = Payment.objects.create(
        account=account,
        appointment=appointment,
        location=location,
        drawer=drawer or _drawer(location, actor),
        taken_by=actor,
        taken_at=now,
        business_date=entry.posting_date,
        amount=value,
        status=PaymentStatus.COMPLETED,
        idempotency_key=uuid.uuid4().hex,
        request_digest="0" * 64,
        entry=entry,
        receipt_number=counter_next(f"receipt:{location.pk}"),
    )
    Tender.objects.create(payment=payment, kind=kind, amount=value)
    return payment


def void_payment(actor: Any, payment: Payment, reason: str = "Keyed twice") -> Payment:
    reversal = ledger.entry_reverse(actor=actor, entry=payment.entry, reason=reason, audit=False)
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.VOIDED,
        void_entry=reversal,
        voided_at=timezone.now(),
        voided_by=actor,
        void_reason=reason,
    )
    payment.refresh_from_db()
    return payment
