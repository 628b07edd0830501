"""Reads for the desk payment screens (scoped by the callers, audited here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.money import ZERO
from frontdesk.ledger import selectors as ledger_selectors
from frontdesk.ledger.choices import Bucket
from frontdesk.ledger.models import Account, LedgerEntry
from frontdesk.patients.models import Patient
from frontdesk.payments.choices import DrawerStatus, PaymentStatus
from frontdesk.payments.models import DrawerSession, Payment
from frontdesk.payments.receipts import applied_lines, balance_sentence, tender_line
from frontdesk.payments.services import open_drawer_for
from frontdesk.practice.models import Location

BULLETS = "\u2022\u2022\u2022\u2022"


@dataclass
class TakeScreen:
    patient: Patient
    location: Location
    account: Account | None
    balance_due: Decimal | None  # None: no account yet (nothing ever charged or paid)
    credit: Decimal
    open_charges: list[tuple[LedgerEntry, Decimal]] = field(default_factory=list)
    drawer: DrawerSession | None = None

    @property
    def suggested(self) -> Decimal:
        return self.balance_due if self.balance_due and self.balance_due > 0 else ZERO


def drawer_location_for(*, user: Any) -> Location | None:
    drawer = (
        DrawerSession.objects.filter(user=user, status=DrawerStatus.OPEN)
        .select_related("location")
        .order_by("-opened_at")
        .first()
    )
    return drawer.location if drawer is not None else None


def take_screen(*, user: Any, patient: Patient, location: Location) -> TakeScreen:
    """What the desk needs to take a payment: balance, credit, open charges, the drawer. Audited."""
    account = ledger_selectors.account_for_patient_or_none(patient=patient)
    screen = TakeScreen(
        patient=patient,
        location=location,
        account=account,
        balance_due=None,
        credit=ZERO,
        drawer=open_drawer_for(user=user, location=location),
    )
    if account is not None:
        balances = ledger_selectors.account_balances(account=account)
        screen.balance_due = balances.patient
        screen.credit = balances.unapplied
        screen.open_charges = ledger_selectors.open_amounts(
            account=account, bucket=Bucket.PATIENT, debits=True
        )
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.FINANCIAL,
        patient_id=patient.pk,
        object_type="account",
        object_id=account.pk if account else "",
        detail={"view": "take_payment"},
    )
    return screen


@dataclass
class PaymentView:
    payment: Payment
    status_label: str
    tenders: list[str]
    applied: list[str]
    change_due: Decimal
    unapplied: Decimal
    remains: str
    message: str


def _unapplied_now(payment: Payment) -> Decimal:
    """What is left of the payment's money not applied to a charge nor refunded, now."""
    if payment.entry is None or payment.status != PaymentStatus.COMPLETED:
        return ZERO
    left: Decimal = ledger_selectors.open_amounts(account=payment.account, entries=[payment.entry])[
        payment.entry.pk
    ]
    return left


def payment_view(*, user: Any, payment: Payment) -> PaymentView:
    """The receipt page's content (the same sentences as the PDF, bullets for the card). Audited."""
    response = payment.response or {}
    after = response.get("balance_after")
    view = PaymentView(
        payment=payment,
        status_label=PaymentStatus(payment.status).label,
        tenders=[tender_line(t, mask=BULLETS) for t in payment.tenders.order_by("pk")],
        applied=applied_lines(payment),
        change_due=Decimal(response.get("change_due", "0.00")),
        unapplied=_unapplied_now(payment),
        remains=balance_sentence(Decimal(after)) if after is not None else "",
        message=str(response.get("message", "")),
    )
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.FINANCIAL,
        patient_id=payment.account.holder_id,
        object_type="payment",
        object_id=payment.pk,
        detail={"view": "receipt_page"},
    )
    return view
