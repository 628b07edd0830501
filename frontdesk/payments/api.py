"""JSON API of payments: take a payment (idempotent), void it, issue a refund, read an account.

Thin, like the views: each operation names its policy action, looks its objects up scoped to the
caller (another location's payment, a restricted patient's account = 404), calls one service or
selector (which audit) and shapes the answer. Amounts are strings with two decimals ("25.00"), never
JSON numbers (binary fractions are not money). ``POST /payments`` and ``POST /refunds`` require an
``Idempotency-Key`` header: the same key with the same body answers the same (nothing new is written);
the same key with another body is 409 ``idempotency_mismatch``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from ninja.responses import Status
from pydantic import StringConstraints

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import READ_ERRORS, WRITE_ERRORS
from frontdesk.api.schemas import ID_PATH, IdString, InputSchema
from frontdesk.core.queryset import get_restricted
from frontdesk.ledger import selectors as ledger_selectors
from frontdesk.ledger.choices import Bucket
from frontdesk.ledger.models import Account
from frontdesk.patients.models import Patient
from frontdesk.payments import services
from frontdesk.payments.choices import PaymentStatus, RefundMethod, TenderKind
from frontdesk.payments.models import Payment
from frontdesk.practice.models import Location
from frontdesk.scheduling.models import Appointment

router = Router(tags=["payments"])
# An amount as text: "25" or "25.00" (JSON numbers are refused: binary fractions are not money).
Money = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=16, pattern=r"^[0-9]+(\.[0-9]{1,2})?$")
]
KEY_HEADER = "Idempotency-Key"


class TenderIn(InputSchema):
    kind: TenderKind
    amount: Money
    cash_tendered: Money | None = Field(None, description="Cash: what was handed over.")
    check_number: str = Field("", max_length=20)
    check_bank: str = Field("", max_length=80)
    card_token: str = Field(
        "", max_length=80, description="Card/HSA: the processor's token (never a card number)."
    )


class ApplyIn(InputSchema):
    charge_id: IdString
    amount: Money


class PaymentIn(InputSchema):
    account_id: IdString | None = Field(None, description="The account, or give patient_id.")
    patient_id: IdString | None = Field(
        None, description="The patient (their guarantor's account)."
    )
    location_id: IdString
    amount: Money = Field(..., description="The total; the tenders must add up to it.")
    tenders: list[TenderIn] = Field(..., min_length=1, max_length=5)
    apply_to: list[ApplyIn] | None = Field(
        None, max_length=50, description="Charges and amounts; omitted: oldest open charges first."
    )
    appointment_id: IdString | None = None
    memo: str = Field("", max_length=200)


class TenderOut(Schema):
    kind: str
    amount: str
    cash_tendered: str | None
    change_given: str | None
    check_number: str
    card_brand: str
    card_last4: str
    auth_code: str


class AppliedOut(Schema):
    charge_id: str
    amount: str


class PaymentOut(Schema):
    id: str
    status: PaymentStatus
    account_id: str
    location_id: str
    amount: str
    receipt_number: int | None
    taken_at: dt.datetime
    tenders: list[TenderOut]
    applied: list[AppliedOut]
    credit_applied: list[AppliedOut]
    unapplied: str
    change_due: str
    balance_after: str | None
    message: str


class VoidIn(InputSchema):
    reason: str = Field(..., min_length=1, max_length=200)


class RefundIn(InputSchema):
    account_id: IdString
    location_id: IdString
    amount: Money
    method: RefundMethod
    reason: str = Field(..., min_length=1, max_length=200)
    payment_id: IdString | None = Field(None, description="Required for a card refund.")
    check_number: str = Field("", max_length=20, description="Required for a check refund.")


class RefundOut(Schema):
    id: str
    account_id: str
    payment_id: str | None
    method: RefundMethod
    amount: str
    receipt_number: int
    issued_at: dt.datetime
    check_number: str


class BalancesOut(Schema):
    total: str
    patient: str
    insurance: str
    unapplied: str


class EntryOut(Schema):
    id: str
    kind: str
    code: str
    bucket: str
    amount: str
    posting_date: dt.date
    posted_at: dt.datetime
    service_date: dt.date | None
    description: str
    reverses_id: str | None
    patient_id: str | None
    running_balance: str = Field(description="The bucket's balance after this entry.")


class AccountOut(Schema):
    id: str
    number: str
    holder_id: str
    currency: str
    balances: BalancesOut
    entries: list[EntryOut]


def _status_for(payment: Payment) -> int:
    if payment.status == PaymentStatus.PENDING:
        return 202
    return 402 if payment.status == PaymentStatus.DECLINED else 201


@router.post(
    "/payments",
    auth=requires(A.PAYMENT_COLLECT),
    response={201: PaymentOut, 202: PaymentOut, 402: PaymentOut, **WRITE_ERRORS},
    summary="Take a payment",
    operation_id="payment_take",
)
def payment_take(request: HttpRequest, payload: PaymentIn) -> Status[dict[str, Any]]:
    """Take a payment split across tenders into the caller's open drawer (409 ``no_open_drawer``
    without one). 201 completed; 402 the card was declined (nothing charged, nothing posted); 202
    the processor timed out (the payment is pending: FrontDesk reconciles it with the processor;
    resend with the SAME key to learn the outcome, never with a new key). Requires the
    ``Idempotency-Key`` header."""
    user = api_user(request)
    location = get_restricted(
        Location.objects.all(), user, A.PAYMENT_COLLECT, pk=int(payload.location_id)
    )
    account = patient = appointment = None
    if payload.account_id is not None:
        account = get_restricted(
            Account.objects.all(), user, A.LEDGER_VIEW, pk=int(payload.account_id)
        )
    elif payload.patient_id is not None:
        patient = get_restricted(
            Patient.objects.all(), user, A.LEDGER_VIEW, pk=int(payload.patient_id)
        )
    if payload.appointment_id is not None:
        appointment = get_restricted(
            Appointment.objects.select_related("patient"),
            user,
            A.PAYMENT_COLLECT,
            pk=int(payload.appointment_id),
        )
    payment = services.payment_take(
        actor=user,
        account=account,
        patient=patient,
        location=location,
        amount=payload.amount,
        tenders=[
            services.TenderInput(
                kind=t.kind,
                amount=t.amount,
                cash_tendered=t.cash_tendered,
                check_number=t.check_number,
                check_bank=t.check_bank,
                card_token=t.card_token,
            )
            for t in payload.tenders
        ],
        apply_to=None
        if payload.apply_to is None
        else [(a.charge_id, a.amount) for a in payload.apply_to],
        appointment=appointment,
        memo=payload.memo,
        idempotency_key=request.headers.get(KEY_HEADER, ""),
    )
    return Status(_status_for(payment), payment.response)


@router.post(
    "/payments/{payment_id}/void",
    auth=requires(A.PAYMENT_VOID),
    response={200: PaymentOut, **WRITE_ERRORS},
    summary="Void a payment",
    operation_id="payment_void",
)
def payment_void(
    request: HttpRequest, payload: VoidIn, payment_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    """Void a completed payment: a reversal posted today (409 ``day_closed`` when today is closed),
    card tenders voided at the processor, recorded against the caller's open drawer."""
    user = api_user(request)
    payment = get_restricted(Payment.objects.all(), user, A.PAYMENT_VOID, pk=payment_id)
    voided = services.payment_void(actor=user, payment=payment, reason=payload.reason)
    return services.payment_answer(voided)


@router.post(
    "/refunds",
    auth=requires(A.REFUND_ISSUE),
    response={201: RefundOut, **WRITE_ERRORS},
    summary="Issue a refund",
    operation_id="refund_issue",
)
def refund_issue(request: HttpRequest, payload: RefundIn) -> Status[dict[str, Any]]:
    """Refund unapplied credit: cash (from the caller's open drawer), a practice check (number
    required) or back to a payment's card. 400 when more than the unapplied credit (or than that
    payment has unapplied). Requires the ``Idempotency-Key`` header."""
    user = api_user(request)
    account = get_restricted(Account.objects.all(), user, A.LEDGER_VIEW, pk=int(payload.account_id))
    location = get_restricted(
        Location.objects.all(), user, A.REFUND_ISSUE, pk=int(payload.location_id)
    )
    payment = None
    if payload.payment_id is not None:
        payment = get_restricted(
            Payment.objects.all(), user, A.REFUND_ISSUE, pk=int(payload.payment_id)
        )
    refund = services.refund_issue(
        actor=user,
        account=account,
        location=location,
        amount=payload.amount,
        method=payload.method,
        reason=payload.reason,
        payment=payment,
        check_number=payload.check_number,
        idempotency_key=request.headers.get(KEY_HEADER, ""),
    )
    return Status(
        201,
        {
            "id": str(refund.pk),
            "account_id": str(refund.account_id),
            "payment_id": None if refund.payment_id is None else str(refund.payment_id),
            "method": refund.method,
            "amount": str(refund.amount),
            "receipt_number": refund.receipt_number,
            "issued_at": refund.issued_at,
            "check_number": refund.check_number,
        },
    )


@router.get(
    "/accounts/{account_id}",
    auth=requires(A.LEDGER_VIEW),
    response={200: AccountOut, **READ_ERRORS},
    summary="A patient account: entries and balances",
    operation_id="account_get",
)
def account_get(request: HttpRequest, account_id: int = Path(..., **ID_PATH)) -> dict[str, Any]:
    """Every entry (both responsibilities, oldest first, each with its bucket's running balance)
    and the balances computed from them. The read is audited."""
    user = api_user(request)
    account = ledger_selectors.account_get(user=user, account_id=account_id)
    balances = ledger_selectors.account_balances(account=account)
    lines = [
        line
        for bucket in (Bucket.PATIENT, Bucket.INSURANCE)
        for line in ledger_selectors.account_lines(account=account, bucket=bucket)
    ]
    lines.sort(key=lambda line: (line.entry.posted_at, line.entry.pk))
    return {
        "id": str(account.pk),
        "number": account.number,
        "holder_id": str(account.holder_id),
        "currency": account.currency,
        "balances": {
            "total": str(balances.total),
            "patient": str(balances.patient),
            "insurance": str(balances.insurance),
            "unapplied": str(balances.unapplied),
        },
        "entries": [
            {
                "id": str(line.entry.pk),
                "kind": line.entry.kind,
                "code": line.entry.code,
                "bucket": line.entry.bucket,
                "amount": str(line.entry.amount),
                "posting_date": line.entry.posting_date,
                "posted_at": line.entry.posted_at,
                "service_date": line.entry.service_date,
                "description": line.entry.description,
                "reverses_id": None
                if line.entry.reverses_id is None
                else str(line.entry.reverses_id),
                "patient_id": None if line.entry.patient_id is None else str(line.entry.patient_id),
                "running_balance": str(line.running),
            }
            for line in lines
        ],
    }
