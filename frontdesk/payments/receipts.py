"""Receipts (fpdf2): payments, voids and refunds, in plain language, numbered per location.

Each receipt says what was paid and by which tender (a card as its brand and last four only), what
it paid for, and what remains on the account. The first print of a receipt is the original; every
later print says "COPY" (tracked by the audit rows of the prints; a payment also keeps
``receipt_printed_at``). E-mail goes only to an address the patient consented to (the notifications
rule: ``email_consent_at`` set and an address on file), with the PDF attached. Every print and
e-mail is audited.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from fpdf import FPDF

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.models import AuditEvent
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import Conflict, PermissionDenied
from frontdesk.core.money import format_money
from frontdesk.ledger import selectors as ledger_selectors
from frontdesk.ledger.models import Allocation
from frontdesk.notifications.selectors import mask_address
from frontdesk.payments.choices import PaymentStatus, RefundMethod, TenderKind
from frontdesk.payments.models import Payment, Refund, Tender
from frontdesk.scheduling.pdf import _latin

MASK = "\u00b7\u00b7\u00b7\u00b7"  # the PDF core fonts are Latin-1: middle dots stand for bullets
MSG_NO_CONSENT = "This patient has not agreed to e-mail (or has no address on file): print it."
MSG_NO_RECEIPT = "Only a completed or voided payment has a receipt."
PAYMENT, VOID, REFUND = "payment", "void", "refund"


def card_label(brand: str, last4: str, *, mask: str = MASK) -> str:
    return f"{brand or 'Card'} {mask} {last4}".strip()


def tender_line(tender: Tender, *, mask: str = MASK) -> str:
    """One tender in words: "Cash $60.00 handed over, $10.00 change" etc."""
    amount = format_money(tender.amount)
    if tender.kind == TenderKind.CASH:
        if tender.change_given:
            return (
                f"Cash {amount} (handed over {format_money(tender.cash_tendered)}, "
                f"change {format_money(tender.change_given)})"
            )
        return f"Cash {amount}"
    if tender.kind == TenderKind.CHECK:
        bank = f", {tender.check_bank}" if tender.check_bank else ""
        return f"Check no. {tender.check_number}{bank}: {amount}"
    if tender.kind in (TenderKind.CARD, TenderKind.HSA_FSA):
        kind = "HSA/FSA card" if tender.kind == TenderKind.HSA_FSA else "Card"
        auth = f", authorization {tender.card_auth_code}" if tender.card_auth_code else ""
        return (
            f"{kind} {card_label(tender.card_brand, tender.card_last4, mask=mask)}: {amount}{auth}"
        )
    return f"Credit already on your account: {amount}"


def balance_sentence(balance: Decimal) -> str:
    if balance > 0:
        return f"You owe {format_money(balance)}."
    if balance < 0:
        return f"You have a credit of {format_money(-balance)} on your account."
    return "You owe nothing: your account is paid in full."


def applied_lines(payment: Payment) -> list[str]:
    """What the payment paid for, in words (charges with their service dates)."""
    allocations = list(
        Allocation.objects.filter(credit_id=payment.entry_id).select_related("debit").order_by("pk")
        if payment.entry_id
        else []
    )
    lines = []
    for allocation in allocations:
        debit = allocation.debit
        date = f", service {debit.service_date:%m/%d/%Y}" if debit.service_date else ""
        lines.append(
            f"{debit.description or debit.get_kind_display()}{date}: {format_money(allocation.amount)}"
        )
    for item in payment.apply_plan.get("credit_applied", []):
        lines.append(f"Charge no. {item['charge_id']} (from your credit): ${item['amount']}")
    return lines


def _already_printed(object_type: str, object_id: int, kind: str) -> bool:
    return AuditEvent.objects.filter(
        object_type=object_type,
        object_id=str(object_id),
        detail__event="receipt_printed",
        detail__receipt=kind,
    ).exists()


class _Receipt:
    def __init__(self, *, title: str, location: Any, copy: bool) -> None:
        self.pdf = FPDF(orientation="portrait", format="Letter")
        self.pdf.set_title(title)
        self.pdf.set_auto_page_break(auto=True, margin=15)
        self.pdf.add_page()
        pdf = self.pdf
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 8, _latin(location.organization.name), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        address = ", ".join(
            part
            for part in (
                location.name,
                location.address_line1,
                location.city,
                location.state,
            )
            if part
        )
        pdf.cell(0, 6, _latin(address), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 10, _latin(title + (" - COPY" if copy else "")), new_x="LMARGIN", new_y="NEXT")
        if copy:
            pdf.set_font("Helvetica", "B", 11)
            pdf.cell(
                0,
                6,
                "COPY: this is a reprint, not a second payment.",
                new_x="LMARGIN",
                new_y="NEXT",
            )

    def line(self, text: str, *, bold: bool = False) -> None:
        self.pdf.set_font("Helvetica", "B" if bold else "", 11)
        self.pdf.multi_cell(0, 6, _latin(text), new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.pdf.ln(2)
        self.line(text, bold=True)

    def output(self) -> bytes:
        self.pdf.ln(4)
        self.line("Keep this receipt. Questions about your bill? Ask at the front desk.")
        return bytes(self.pdf.output())


def _when(value: Any, location: Any) -> str:
    return value.astimezone(location.tzinfo).strftime("%m/%d/%Y %I:%M %p")


def _who(account: Any) -> str:
    holder = account.holder
    return f"Account {account.number} - {holder.first_name} {holder.last_name}"


def _audit_print(user: Any, object_type: str, obj: Any, kind: str, copy: bool, number: int) -> None:
    audit_record(
        actor=user,
        action=AuditAction.PRINT,
        category=AuditCategory.FINANCIAL,
        patient_id=obj.account.holder_id,
        object_type=object_type,
        object_id=obj.pk,
        detail={"event": "receipt_printed", "receipt": kind, "copy": copy, "number": number},
    )


def _require_view(user: Any) -> None:
    if user is None or not user.can(A.LEDGER_VIEW):
        raise PermissionDenied()


def _payment_document(payment: Payment, *, copy: bool) -> bytes:
    location = payment.location
    doc = _Receipt(title=f"Receipt no. {payment.receipt_number}", location=location, copy=copy)
    doc.line(f"{_when(payment.taken_at, location)} - received by {payment.taken_by.first_name}")
    doc.line(_who(payment.account))
    doc.heading(f"You paid {format_money(payment.amount)}")
    for tender in payment.tenders.order_by("pk"):
        doc.line(f"  {tender_line(tender)}")
    doc.heading("What it paid for")
    lines = applied_lines(payment)
    for text in lines or ["Nothing yet: it is kept as credit for your next charges."]:
        doc.line(f"  {text}")
    unapplied = Decimal(payment.response.get("unapplied", "0.00"))
    if unapplied > 0 and lines:
        doc.line(f"  Kept as credit on your account: {format_money(unapplied)}")
    doc.heading("What remains")
    after = payment.response.get("balance_after")
    if after is not None:
        doc.line(f"After this payment: {balance_sentence(Decimal(after))}")
    if payment.status == PaymentStatus.VOIDED:
        doc.line(
            f"This payment was VOIDED on {_when(payment.voided_at, location)} "
            f"(void receipt no. {payment.void_receipt_number}).",
            bold=True,
        )
    return doc.output()


def payment_receipt_pdf(*, user: Any, payment: Payment) -> bytes:
    """The payment's receipt: the original the first time, "COPY" after. Audited."""
    _require_view(user)
    if payment.receipt_number is None:
        raise Conflict(MSG_NO_RECEIPT, code="no_receipt")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        copy = locked.receipt_printed_at is not None
        if not copy:
            locked.receipt_printed_at = timezone.now()
            locked.save(update_fields=["receipt_printed_at"])
        _audit_print(user, "payment", locked, PAYMENT, copy, locked.receipt_number or 0)
    return _payment_document(locked, copy=copy)


def _void_document(payment: Payment, *, copy: bool) -> bytes:
    location = payment.location
    doc = _Receipt(
        title=f"Void receipt no. {payment.void_receipt_number}", location=location, copy=copy
    )
    voider = payment.voided_by.first_name if payment.voided_by else ""
    doc.line(f"{_when(payment.voided_at, location)} - voided by {voider}")
    doc.line(_who(payment.account))
    doc.heading(
        f"Payment of {format_money(payment.amount)} on {_when(payment.taken_at, location)} "
        f"(receipt no. {payment.receipt_number}) is cancelled"
    )
    for tender in payment.tenders.order_by("pk"):
        if tender.kind in (TenderKind.CARD, TenderKind.HSA_FSA):
            back = f"{card_label(tender.card_brand, tender.card_last4)}: {format_money(tender.amount)} voided (nothing is charged)"
        elif tender.kind == TenderKind.CREDIT:
            back = f"Credit used: {format_money(tender.amount)} (stays applied to the charges)"
        else:
            back = f"{tender.get_kind_display()} {format_money(tender.amount)} given back"
        doc.line(f"  {back}")
    doc.line(f"Reason: {payment.void_reason}")
    doc.heading("What remains")
    balance = ledger_selectors.account_balances(account=payment.account).patient
    doc.line(f"Now: {balance_sentence(balance)}")
    return doc.output()


def void_receipt_pdf(*, user: Any, payment: Payment) -> bytes:
    _require_view(user)
    if payment.status != PaymentStatus.VOIDED or payment.void_receipt_number is None:
        raise Conflict("Only a voided payment has a void receipt.", code="no_receipt")
    with transaction.atomic():
        copy = _already_printed("payment", payment.pk, VOID)
        _audit_print(user, "payment", payment, VOID, copy, payment.void_receipt_number)
    return _void_document(payment, copy=copy)


def _refund_document(refund: Refund, *, copy: bool) -> bytes:
    location = refund.location
    doc = _Receipt(
        title=f"Refund receipt no. {refund.receipt_number}", location=location, copy=copy
    )
    doc.line(f"{_when(refund.issued_at, location)} - issued by {refund.issued_by.first_name}")
    doc.line(_who(refund.account))
    doc.heading(f"We refunded {format_money(refund.amount)}")
    if refund.method == RefundMethod.CASH:
        doc.line("  In cash, from the front desk.")
    elif refund.method == RefundMethod.CHECK:
        doc.line(f"  By practice check no. {refund.check_number}.")
    else:
        attempt = refund.card_attempts.first()
        label = card_label(attempt.card_brand, attempt.card_last4) if attempt else "the card"
        doc.line(f"  Back to {label} (allow a few days to appear).")
    if refund.payment_id:
        doc.line(f"  From the payment on receipt no. {refund.payment.receipt_number}.")  # type: ignore[union-attr]
    doc.line(f"Reason: {refund.reason}")
    doc.heading("What remains")
    balance = ledger_selectors.account_balances(account=refund.account).patient
    doc.line(f"Now: {balance_sentence(balance)}")
    return doc.output()


def refund_receipt_pdf(*, user: Any, refund: Refund) -> bytes:
    _require_view(user)
    with transaction.atomic():
        copy = _already_printed("refund", refund.pk, REFUND)
        _audit_print(user, "refund", refund, REFUND, copy, refund.receipt_number)
    return _refund_document(refund, copy=copy)


def receipt_email(
    *, user: Any, payment: Payment | None = None, refund: Refund | None = None, void: bool = False
) -> str:
    """E-mail a receipt (PDF attached) to the consented address; returns it masked. The e-mailed
    document is a copy when the receipt was printed before (the original stays at the desk)."""
    _require_view(user)
    obj: Any = payment if payment is not None else refund
    patient = (payment.patient if payment is not None else None) or obj.account.holder
    if patient.email_consent_at is None or not patient.email:
        raise Conflict(MSG_NO_CONSENT, code="no_email_consent")
    if refund is not None:
        kind, number = REFUND, refund.receipt_number
        copy = _already_printed("refund", refund.pk, REFUND)
        content = _refund_document(refund, copy=copy)
    elif void:
        assert payment is not None
        if payment.void_receipt_number is None:
            raise Conflict("Only a voided payment has a void receipt.", code="no_receipt")
        kind, number = VOID, payment.void_receipt_number
        content = _void_document(payment, copy=_already_printed("payment", payment.pk, VOID))
    else:
        assert payment is not None
        if payment.receipt_number is None:
            raise Conflict(MSG_NO_RECEIPT, code="no_receipt")
        kind, number = PAYMENT, payment.receipt_number
        content = _payment_document(payment, copy=payment.receipt_printed_at is not None)
    location = obj.location
    message = EmailMessage(
        subject=f"Your receipt from {location.organization.name}",
        body=(
            f"Attached is your receipt no. {number} from {location.organization.name}.\n"
            "Questions about your bill? Call the office.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[patient.email],
        connection=get_connection(),
    )
    message.attach(f"receipt-{number}.pdf", content, "application/pdf")
    message.send(fail_silently=False)
    audit_record(
        actor=user,
        action=AuditAction.DISCLOSE,
        category=AuditCategory.FINANCIAL,
        patient_id=patient.pk,
        object_type="refund" if refund is not None else "payment",
        object_id=obj.pk,
        detail={"event": "receipt_emailed", "receipt": kind, "number": number},
    )
    return mask_address(patient.email)
