"""Taking payments at the desk, voids, refunds and the card reconciliation.

``payment_take`` validates the whole request before writing anything, then:

- without a card tender, writes everything in ONE transaction: the payment, its tenders, the ledger
  PAYMENT entry for the new money (cash, check), the allocations, the receipt number (from the
  location's counter, inside the transaction, so a rollback leaves no gap) and one audit row;
- with a card tender (card or HSA/FSA; one per payment), first writes and COMMITS the pending payment,
  its tenders and a pending ``CardAttempt`` (our reference), then calls the processor, then completes
  (approved) or declines the payment in a second transaction. A timeout leaves the payment PENDING and
  ``payment_reconcile`` asks the processor by reference later; a crash between the processor's approval
  and our commit leaves the same pending state. The processor is idempotent by reference, and nothing
  here ever charges a reference twice.

Idempotency: the request's canonical digest is stored with its key (unique). The same key with the
same request returns the stored payment (nothing new is written); the same key with another request is
refused (409 ``idempotency_mismatch``). Concurrent identical requests race on the unique key: one
inserts, the others catch the IntegrityError and replay the winner's answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.counters import counter_next
from frontdesk.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from frontdesk.core.money import ZERO, format_money
from frontdesk.ledger import selectors as ledger_selectors
from frontdesk.ledger.choices import AllocationPolicy, Bucket, EntryKind, PaymentSource, RefundCode
from frontdesk.ledger.errors import DayClosed
from frontdesk.ledger.models import Account, LedgerEntry
from frontdesk.ledger.services import (
    Posting,
    _allocate,
    account_for_patient,
    account_holder,
    business_date,
    clean_amount,
    clean_note,
    entry_post,
    entry_reverse,
)
from frontdesk.patients.models import Patient
from frontdesk.payments.choices import (
    CARD_TENDERS,
    CardAttemptStatus,
    DrawerStatus,
    PaymentStatus,
    RefundMethod,
    TenderKind,
)
from frontdesk.payments.models import CardAttempt, DrawerSession, Payment, Refund, Tender
from frontdesk.payments.processor import (
    TOKEN_RE,
    ProcessorError,
    ProcessorResult,
    ProcessorTimeout,
    get_processor,
)
from frontdesk.practice.models import Location
from frontdesk.standards.pan import contains_card_number

log = logging.getLogger(__name__)

MSG_NO_DRAWER = "Open your cash drawer first."
MSG_DRAWER_NOT_OPEN = "Your cash drawer is being closed; open a new drawer to take money."
MSG_NO_TENDERS = "Add at least one way of paying."
MSG_TENDER_KIND = "Pick how the patient pays."
MSG_TOTAL = "The tenders add up to {tenders}, not the payment amount {amount}."
MSG_CASH_SHORT = "The cash handed over ({tendered}) is less than the cash amount ({amount})."
MSG_ONE_CASH = "Enter all the cash as one tender."
MSG_CHECK_NUMBER = "Enter the check number."
MSG_CHECK_NUMBER_FORMAT = "A check number is up to 20 letters and digits."
MSG_CHECK_OVER = "More tendered by check than is due ({due}); take the exact amount due."
MSG_CARD_TOKEN = "Swipe, tap or insert the card (the reader sends a token, never the card number)."
MSG_ONE_CARD = "One card per payment: take a second payment for another card."
MSG_CREDIT_OVER = "Only {credit} of patient credit is available on the account."
MSG_CREDIT_NOTHING_DUE = "Patient credit can only pay open charges: {due} is open."
MSG_APPLY_NOT_OPEN = "That charge is not open on this account."
MSG_APPLY_OVER = "That is more than is still open on the charge ({open})."
MSG_APPLY_MORE_THAN_PAID = "The amounts to apply add up to more than is being paid."
MSG_APPLY_DUPLICATE = "Each charge once."
MSG_KEY = "An idempotency key (up to 100 characters) is required."
MSG_KEY_MISMATCH = (
    "This idempotency key was already used for a different payment request. "
    "Use a new key for a new payment."
)
MSG_APPOINTMENT = "That appointment is not this account's."
MSG_DECLINED = "The card was declined: {reason} Nothing was charged; try another card or tender."
MSG_TIMEOUT = (
    "The card processor did not answer in time. FrontDesk will check with the processor before "
    "anything else; do not charge the card again."
)
MSG_VOID_STATE = "Only a completed payment can be voided."
MSG_REFUND_OVER_CREDIT = (
    "A refund cannot be more than the unapplied credit on the account ({credit})."
)
MSG_REFUND_OVER_PAYMENT = (
    "A refund cannot be more than what is left unapplied of that payment ({left})."
)
MSG_REFUND_CARD_NEEDS_PAYMENT = (
    "A card refund goes back to the card of a payment: pick the payment."
)
MSG_REFUND_CARD_OVER = "Only {left} can still go back to that payment's card."
MSG_REFUND_METHOD = "Pick how the refund is paid."
MSG_REASON = "Give a reason."
MSG_PROCESSOR_REFUSED = "The card processor refused the refund: {reason}"

# A pending card attempt younger than this may still be in flight in another process.
RECONCILE_GRACE = dt.timedelta(seconds=60)
REPLAY_WAIT_SECONDS = 15.0


# --- input --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenderInput:
    """One part of a payment as the desk entered it. Amounts may be text (they are parsed)."""

    kind: str
    amount: Any
    cash_tendered: Any = None  # cash: what the patient handed over (default: the amount)
    check_number: str = ""
    check_bank: str = ""
    card_token: str = ""  # card / HSA-FSA: the processor's token from the reader


@dataclass
class _Tender:
    kind: str
    amount: Decimal
    cash_tendered: Decimal | None = None
    change_given: Decimal | None = None
    check_number: str = ""
    check_bank: str = ""
    card_token: str = ""

    def canonical(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "amount": str(self.amount),
            "cash_tendered": "" if self.cash_tendered is None else str(self.cash_tendered),
            "check_number": self.check_number,
            "check_bank": self.check_bank,
            "card_token": self.card_token,
        }


@dataclass
class _Request:
    account: Account | None  # None: the patient's guarantor has no account yet (made on writing)
    patient: Patient | None
    location: Location
    tenders: list[_Tender]
    targets: list[tuple[int, Decimal]] | None  # None: the practice's policy (oldest first)
    appointment: Any
    memo: str
    key: str
    owner: Patient | None = None  # whose account to open when there is none yet
    total: Decimal = ZERO
    digest: str = ""
    errors: FieldErrors = field(default_factory=FieldErrors)
    at: dt.datetime | None = None  # a loader of history's past instant (None: now)

    @property
    def new_money(self) -> Decimal:
        return sum((t.amount for t in self.tenders if t.kind != TenderKind.CREDIT), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((t.amount for t in self.tenders if t.kind == TenderKind.CREDIT), ZERO)

    @property
    def card(self) -> _Tender | None:
        return next((t for t in self.tenders if t.kind in CARD_TENDERS), None)


def _require(actor: Any, action: str) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.can(action):
        raise PermissionDenied()


def _location_in_scope(actor: Any, location: Location, action: str) -> None:
    if not Location.objects.restrict(actor, action).filter(pk=location.pk).exists():
        raise NotFound()


def _account_in_scope(actor: Any, account: Account) -> None:
    if not Account.objects.restrict(actor, A.LEDGER_VIEW).filter(pk=account.pk).exists():
        raise NotFound()


def open_drawer_for(*, user: Any, location: Location) -> DrawerSession | None:
    """The user's open drawer at ``location`` (drawer_selectors' function once merged)."""
    try:
        from frontdesk.payments.drawer_selectors import (  # type: ignore[import-not-found,unused-ignore]
            open_drawer_for as drawer_open_drawer_for,
        )
    except ImportError:
        return (
            DrawerSession.objects.filter(location=location, user=user, status=DrawerStatus.OPEN)
            .order_by("-opened_at", "-pk")
            .first()
        )
    found: DrawerSession | None = drawer_open_drawer_for(user=user, location=location)
    return found


def _locked_open_drawer(actor: Any, location: Location) -> DrawerSession:
    """Lock the actor's open drawer at the location (inside a transaction) or refuse."""
    drawer = open_drawer_for(user=actor, location=location)
    if drawer is None:
        raise Conflict(MSG_NO_DRAWER, code="no_open_drawer")
    locked = DrawerSession.objects.select_for_update().get(pk=drawer.pk)
    if locked.status != DrawerStatus.OPEN:
        raise Conflict(MSG_NO_DRAWER, code="no_open_drawer")
    return locked


def _check_key(key: str, errors: FieldErrors) -> str:
    key = (key or "").strip()
    if not key or len(key) > 100 or any(ord(c) < 32 for c in key):
        errors.add("idempotency_key", MSG_KEY)
    return key


def _digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _clean_tenders(raw: list[TenderInput], errors: FieldErrors) -> list[_Tender]:
    tenders: list[_Tender] = []
    if not raw:
        errors.add("tenders", MSG_NO_TENDERS)
    for i, item in enumerate(raw):
        prefix = f"tenders.{i}"
        kind = item.kind if item.kind in TenderKind.values else ""
        if not kind:
            errors.add(f"{prefix}.kind", MSG_TENDER_KIND)
        amount = clean_amount(item.amount, f"{prefix}.amount", errors)
        tender = _Tender(kind=kind, amount=amount)
        if kind == TenderKind.CASH:
            if item.cash_tendered in (None, ""):
                tender.cash_tendered = amount
            else:
                tender.cash_tendered = clean_amount(
                    item.cash_tendered, f"{prefix}.cash_tendered", errors
                )
            if amount > 0 and tender.cash_tendered < amount:
                errors.add(
                    f"{prefix}.cash_tendered",
                    MSG_CASH_SHORT.format(
                        tendered=format_money(tender.cash_tendered), amount=format_money(amount)
                    ),
                )
            tender.change_given = max(tender.cash_tendered - amount, ZERO)
        elif kind == TenderKind.CHECK:
            number = (item.check_number or "").strip()
            if not number:
                errors.add(f"{prefix}.check_number", MSG_CHECK_NUMBER)
            elif not re.fullmatch(r"[A-Za-z0-9\-]{1,20}", number):
                errors.add(f"{prefix}.check_number", MSG_CHECK_NUMBER_FORMAT)
            tender.check_number = number
            tender.check_bank = clean_note(
                item.check_bank, f"{prefix}.check_bank", errors, limit=80
            )
        elif kind in CARD_TENDERS:
            token = (item.card_token or "").strip()
            if not TOKEN_RE.fullmatch(token) or contains_card_number(token) or token.isdigit():
                errors.add(f"{prefix}.card_token", MSG_CARD_TOKEN)
            tender.card_token = token
        tenders.append(tender)
    if sum(1 for t in tenders if t.kind == TenderKind.CASH) > 1:
        errors.add("tenders", MSG_ONE_CASH)
    if sum(1 for t in tenders if t.kind in CARD_TENDERS) > 1:
        errors.add("tenders", MSG_ONE_CARD)
    return tenders


def _validate_request(
    *,
    actor: Any,
    account: Account | None,
    patient: Patient | None,
    location: Location,
    tenders: list[TenderInput],
    amount: Any,
    apply_to: list[tuple[Any, Any]] | None,
    appointment: Any,
    memo: str,
    idempotency_key: str,
) -> _Request:
    """Everything that does not depend on the account's current state."""
    _require(actor, A.PAYMENT_COLLECT)
    _location_in_scope(actor, location, A.PAYMENT_COLLECT)
    if account is None:
        if patient is None:
            raise NotFound()
        if not Patient.objects.restrict(actor, A.LEDGER_VIEW).filter(pk=patient.pk).exists():
            raise NotFound()
        account = ledger_selectors.account_for_patient_or_none(patient=patient)
    if account is not None:
        _account_in_scope(actor, account)
        holder_id = account.holder_id
    else:
        assert patient is not None
        holder_id = account_holder(patient).pk
    errors = FieldErrors()
    key = _check_key(idempotency_key, errors)
    cleaned = _clean_tenders(list(tenders), errors)
    memo = clean_note(memo, "memo", errors)
    total = sum((t.amount for t in cleaned), ZERO)
    if amount is not None and amount != "":
        wanted = clean_amount(amount, "amount", errors)
        if cleaned and wanted > 0 and total != wanted:
            errors.add(
                "amount",
                MSG_TOTAL.format(tenders=format_money(total), amount=format_money(wanted)),
            )
    targets: list[tuple[int, Decimal]] | None = None
    if apply_to is not None:
        targets = []
        seen: set[int] = set()
        for i, (charge_id, value) in enumerate(apply_to):
            try:
                pk = int(charge_id)
            except (TypeError, ValueError):
                errors.add(f"apply_to.{i}.charge_id", MSG_APPLY_NOT_OPEN)
                continue
            if pk in seen:
                errors.add(f"apply_to.{i}.charge_id", MSG_APPLY_DUPLICATE)
            seen.add(pk)
            targets.append((pk, clean_amount(value, f"apply_to.{i}.amount", errors)))
        if targets and sum((v for _, v in targets), ZERO) > total and total > 0:
            errors.add("apply_to", MSG_APPLY_MORE_THAN_PAID)
        if targets:
            due = sum((v for _, v in targets), ZERO)
            for i, tender in enumerate(cleaned):
                if tender.kind == TenderKind.CHECK and tender.amount > due:
                    errors.add(f"tenders.{i}.amount", MSG_CHECK_OVER.format(due=format_money(due)))
        else:
            targets = None
    holder_patient = patient
    if appointment is not None:
        same = account_holder(appointment.patient).pk == holder_id
        if not same or appointment.location_id != location.pk:
            errors.add("appointment", MSG_APPOINTMENT)
        holder_patient = holder_patient or appointment.patient
    errors.raise_if_any()
    request = _Request(
        account=account,
        patient=holder_patient,
        location=location,
        tenders=cleaned,
        targets=targets,
        appointment=appointment,
        memo=memo,
        key=key,
        owner=patient,
        total=total,
    )
    request.digest = _digest(
        {
            "actor": actor.pk,
            "holder": holder_id,
            "patient": getattr(holder_patient, "pk", None),
            "location": location.pk,
            "tenders": [t.canonical() for t in cleaned],
            "apply_to": None if targets is None else [[pk, str(v)] for pk, v in targets],
            "appointment": getattr(appointment, "pk", None),
            "memo": memo,
        }
    )
    return request


def _validate_state(request: _Request) -> None:
    """Checks against the account as it is now (call holding the account lock)."""
    errors = FieldErrors()
    account = request.account
    if account is None:  # nothing was ever charged or paid: no charge is open, no credit
        for i, _ in enumerate(request.targets or []):
            errors.add(f"apply_to.{i}.charge_id", MSG_APPLY_NOT_OPEN)
        if request.credit > 0:
            errors.add("tenders", MSG_CREDIT_OVER.format(credit=format_money(ZERO)))
        errors.raise_if_any()
        return
    if request.targets is not None:
        wanted = [pk for pk, _ in request.targets]
        debits = {
            e.pk: e
            for e in LedgerEntry.objects.filter(
                pk__in=wanted, account=account, bucket=Bucket.PATIENT
            )
        }
        open_now = ledger_selectors.open_amounts(account=account, entries=list(debits.values()))
        for i, (pk, value) in enumerate(request.targets):
            entry = debits.get(pk)
            left = open_now.get(pk, ZERO)
            if entry is None or entry.amount <= 0 or entry.kind == EntryKind.PAYMENT or left <= 0:
                errors.add(f"apply_to.{i}.charge_id", MSG_APPLY_NOT_OPEN)
            elif value > left:
                errors.add(f"apply_to.{i}.amount", MSG_APPLY_OVER.format(open=format_money(left)))
    if request.credit > 0:
        balances = ledger_selectors.account_balances(account=account)
        if request.credit > balances.unapplied:
            errors.add("tenders", MSG_CREDIT_OVER.format(credit=format_money(balances.unapplied)))
        due = sum(
            (
                amount
                for _, amount in ledger_selectors.open_amounts(
                    account=account, bucket=Bucket.PATIENT, debits=True
                )
            ),
            ZERO,
        )
        if request.targets is not None:
            due = min(due, sum((v for _, v in request.targets), ZERO))
        if request.credit > due:
            errors.add("tenders", MSG_CREDIT_NOTHING_DUE.format(due=format_money(due)))
    errors.raise_if_any()


# --- answers ------------------------------------------------------------------------------------


def payment_answer(payment: Payment, *, message: str = "") -> dict[str, Any]:
    """The JSON answer for a payment (stored on the payment; a replay returns it unchanged)."""
    tenders = list(payment.tenders.order_by("pk"))
    applied: list[dict[str, str]] = []
    unapplied = ZERO
    balance: Decimal | None = None
    if payment.entry_id is not None:
        entry = payment.entry
        assert entry is not None
        applied = [
            {"charge_id": str(a.debit_id), "amount": str(a.amount)}
            for a in entry.applied_to.order_by("pk")
        ]
        unapplied = ledger_selectors.open_amounts(account=payment.account, entries=[entry])[
            entry.pk
        ]
    credit_applied = payment.apply_plan.get("credit_applied", [])
    if payment.status == PaymentStatus.COMPLETED:
        balance = ledger_selectors.account_balances(account=payment.account).patient
    return {
        "id": str(payment.pk),
        "status": payment.status,
        "account_id": str(payment.account_id),
        "location_id": str(payment.location_id),
        "amount": str(payment.amount),
        "receipt_number": payment.receipt_number,
        "taken_at": payment.taken_at.isoformat(),
        "tenders": [
            {
                "kind": t.kind,
                "amount": str(t.amount),
                "cash_tendered": None if t.cash_tendered is None else str(t.cash_tendered),
                "change_given": None if t.change_given is None else str(t.change_given),
                "check_number": t.check_number,
                "card_brand": t.card_brand,
                "card_last4": t.card_last4,
                "auth_code": t.card_auth_code,
            }
            for t in tenders
        ],
        "applied": applied,
        "credit_applied": credit_applied,
        "unapplied": str(unapplied),
        "change_due": str(sum((t.change_given or ZERO for t in tenders), ZERO)),
        "balance_after": None if balance is None else str(balance),
        "message": message,
    }


# --- taking a payment ---------------------------------------------------------------------------


def payment_take(
    *,
    actor: Any,
    location: Location,
    tenders: list[TenderInput],
    idempotency_key: str,
    account: Account | None = None,
    patient: Patient | None = None,
    amount: Any = None,
    apply_to: list[tuple[Any, Any]] | None = None,
    appointment: Any = None,
    memo: str = "",
    at: dt.datetime | None = None,
) -> Payment:
    """Take one payment (see the module docstring). ``apply_to`` is ``[(charge_id, amount)]`` or
    None for the practice's policy (oldest open charge first). ``amount``, when given, must equal
    the tenders' total. Returns the payment: COMPLETED, DECLINED (card declined: nothing posted) or
    PENDING (card timed out: reconciliation will finish it). ``payment.replayed`` is True when the
    key had been seen with the same request (nothing new was written). ``at`` dates the payment in
    the past only for loaders of history (the demo); a closed day refuses it like any other."""
    request = _validate_request(
        actor=actor,
        account=account,
        patient=patient,
        location=location,
        tenders=tenders,
        amount=amount,
        apply_to=apply_to,
        appointment=appointment,
        memo=memo,
        idempotency_key=idempotency_key,
    )
    request.at = at
    existing = Payment.objects.filter(idempotency_key=request.key).first()
    if existing is not None:
        return _replay(existing, request)
    try:
        payment = _create(actor, request)
    except IntegrityError:
        existing = Payment.objects.filter(idempotency_key=request.key).first()
        if existing is None:
            raise
        return _replay(existing, request)
    payment.replayed = False  # type: ignore[attr-defined]
    if payment.status != PaymentStatus.PENDING:
        return payment
    return _charge_card(actor, payment, at=at)


def _replay(payment: Payment, request: _Request) -> Payment:
    if payment.request_digest != request.digest:
        raise Conflict(MSG_KEY_MISMATCH, code="idempotency_mismatch")
    deadline = time.monotonic() + REPLAY_WAIT_SECONDS
    while payment.status == PaymentStatus.PENDING and time.monotonic() < deadline:
        attempt = payment.card_attempts.order_by("-pk").first()
        if attempt is not None and attempt.status == CardAttemptStatus.TIMEOUT:
            payment = payment_reconcile_one(payment=payment) or payment
            break
        time.sleep(0.05)  # the first request is still talking to the processor
        payment.refresh_from_db()
    payment.replayed = True  # type: ignore[attr-defined]
    return payment


def _create(actor: Any, request: _Request) -> Payment:
    """The first transaction: the payment row (key), tenders; completed at once without a card."""
    now = request.at or timezone.now()
    with transaction.atomic():
        drawer = _locked_open_drawer(actor, request.location)
        # Identical requests queue on the drawer lock; the later ones find the key here and replay
        # without touching the account (lock order: drawer, account, payment).
        if Payment.objects.filter(idempotency_key=request.key).exists():
            raise IntegrityError("idempotency key taken")
        if request.account is None:
            assert request.owner is not None
            request.account = account_for_patient(patient=request.owner)
        Account.objects.select_for_update().get(pk=request.account.pk)
        date = business_date(request.location, now)
        if ledger_selectors.day_is_closed(location=request.location, date=date):
            raise DayClosed()
        _validate_state(request)
        payment = Payment.objects.create(
            account=request.account,
            patient=request.patient,
            appointment=request.appointment,
            location=request.location,
            drawer=drawer,
            taken_by=actor,
            taken_at=now,
            business_date=date,
            amount=request.total,
            status=PaymentStatus.PENDING,
            idempotency_key=request.key,
            request_digest=request.digest,
            memo=request.memo,
            apply_plan={
                "targets": None
                if request.targets is None
                else [[pk, str(v)] for pk, v in request.targets],
                "credit": str(request.credit),
            },
        )
        for tender in request.tenders:
            Tender.objects.create(
                payment=payment,
                kind=tender.kind,
                amount=tender.amount,
                cash_tendered=tender.cash_tendered,
                change_given=tender.change_given,
                check_number=tender.check_number,
                check_bank=tender.check_bank,
                card_token=tender.card_token,
            )
        card = request.card
        if card is None:
            _complete(actor, payment, now=now)
        else:
            CardAttempt.objects.create(
                payment=payment,
                reference=f"pay-{uuid.uuid4().hex}",
                amount=card.amount,
                token=card.card_token,
                started_at=now,
            )
            payment.response = payment_answer(payment)
            payment.save(update_fields=["response"])
    return payment


def _charge_card(actor: Any, payment: Payment, *, at: dt.datetime | None = None) -> Payment:
    """Call the processor for the payment's pending attempt (committed), then record the answer."""
    attempt = payment.card_attempts.get(status=CardAttemptStatus.PENDING)
    processor = get_processor()
    try:
        result = processor.charge(
            reference=attempt.reference, token=attempt.token, amount=attempt.amount
        )
    except ProcessorTimeout:
        with transaction.atomic():
            locked = CardAttempt.objects.select_for_update().get(pk=attempt.pk)
            if locked.status == CardAttemptStatus.PENDING:
                locked.status = CardAttemptStatus.TIMEOUT
                locked.save(update_fields=["status"])
            payment = Payment.objects.get(pk=payment.pk)
            payment.response = payment_answer(payment, message=MSG_TIMEOUT)
            payment.save(update_fields=["response"])
        payment.replayed = False  # type: ignore[attr-defined]
        return payment
    _after_processor_answer(attempt)  # the crash tests stop the process here
    finished = _finish(actor, payment.pk, attempt.pk, result, at=at)
    finished.replayed = False  # type: ignore[attr-defined]
    return finished


def _after_processor_answer(attempt: CardAttempt) -> None:
    """A seam between the processor's answer and our commit (tests simulate a crash here)."""


def _finish(
    actor: Any,
    payment_id: int,
    attempt_id: int,
    result: ProcessorResult | None,
    *,
    at: dt.datetime | None = None,
) -> Payment:
    """Record the processor's answer (None: it never received the charge) in one transaction."""
    now = at or timezone.now()
    with transaction.atomic():
        account_id = Payment.objects.values_list("account_id", flat=True).get(pk=payment_id)
        Account.objects.select_for_update().get(pk=account_id)  # lock order: account, payment
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        attempt = CardAttempt.objects.select_for_update().get(pk=attempt_id)
        if payment.status != PaymentStatus.PENDING:
            return payment  # already finished (by the reconciliation or a replay)
        attempt.finished_at = now
        if result is not None and result.approved:
            attempt.status = CardAttemptStatus.APPROVED
            attempt.processor_transaction_id = result.transaction_id
            attempt.auth_code = result.auth_code
            attempt.card_brand = result.brand
            attempt.card_last4 = result.last4
            attempt.save()
            tender = payment.tenders.get(kind__in=list(CARD_TENDERS))
            tender.card_brand, tender.card_last4 = result.brand, result.last4
            tender.card_auth_code = result.auth_code
            tender.processor_transaction_id = result.transaction_id
            tender.save()
            _complete(actor, payment, now=now)  # a closed day rolls back: stays pending
            return payment
        reason = "Not received by the processor." if result is None else result.message
        attempt.status = CardAttemptStatus.DECLINED
        attempt.decline_reason = (reason or "Declined.")[:120]
        attempt.save()
        payment.status = PaymentStatus.DECLINED
        payment.response = payment_answer(
            payment, message=MSG_DECLINED.format(reason=attempt.decline_reason)
        )
        payment.save(update_fields=["status", "response"])
        audit_record(
            actor=payment.taken_by,
            action=AuditAction.CREATE,
            category=AuditCategory.FINANCIAL,
            patient_id=payment.account.holder_id,
            object_type="payment",
            object_id=payment.pk,
            detail={"event": "payment_declined", "amount": str(payment.amount)},
        )
        return payment


def _complete(actor: Any, payment: Payment, *, now: dt.datetime) -> None:
    """Post the new money, apply it, number the receipt, mark completed, audit (in a transaction)."""
    account = Account.objects.select_for_update().get(pk=payment.account_id)
    tenders = list(payment.tenders.all())
    new_money = sum((t.amount for t in tenders if t.kind != TenderKind.CREDIT), ZERO)
    credit = sum((t.amount for t in tenders if t.kind == TenderKind.CREDIT), ZERO)
    plan = payment.apply_plan or {}
    raw_targets = plan.get("targets")
    # What each charge should get: explicit targets, else oldest open first up to the whole amount.
    open_debits = ledger_selectors.open_amounts(account=account, bucket=Bucket.PATIENT, debits=True)
    open_by_pk = {entry.pk: (entry, amount) for entry, amount in open_debits}
    wanted: list[tuple[LedgerEntry, Decimal]] = []
    if raw_targets is None:
        left = new_money + credit
        for entry, amount in open_debits:
            if left <= 0:
                break
            take = min(amount, left)
            wanted.append((entry, take))
            left -= take
    else:
        for pk, value in raw_targets:
            if pk in open_by_pk:  # a charge paid meanwhile keeps the money as credit
                entry, amount = open_by_pk[pk]
                wanted.append((entry, min(amount, Decimal(value))))
    # Existing credit (the credit tender) pays first, then the new money.
    credit_applied: list[list[str]] = []
    if credit > 0:
        credits = ledger_selectors.open_amounts(
            account=account, bucket=Bucket.PATIENT, debits=False
        )
        credit_left = credit
        for credit_entry, available in credits:
            while credit_left > 0 and available > 0 and wanted:
                debit, need = wanted[0]
                take = min(need, available, credit_left)
                _allocate(actor, account, credit_entry, [(debit, take)], now)
                credit_applied.append([str(debit.pk), str(take)])
                available -= take
                credit_left -= take
                if take == need:
                    wanted.pop(0)
                else:
                    wanted[0] = (debit, need - take)
    entry = None
    if new_money > 0:
        entry = entry_post(
            actor=actor,
            account=account,
            posting=Posting(
                kind=EntryKind.PAYMENT,
                code=PaymentSource.PATIENT,
                amount=-new_money,
                location=payment.location,
                patient=payment.patient,
                appointment=payment.appointment,
                description="Payment",
                memo=payment.memo,
            ),
            at=now,
            audit=False,
        )
        left = new_money
        targets: list[tuple[LedgerEntry, Decimal]] = []
        for debit, need in wanted:
            if left <= 0:
                break
            take = min(need, left)
            targets.append((debit, take))
            left -= take
        if targets:
            _allocate(actor, account, entry, targets, now)
    payment.entry = entry
    payment.receipt_number = counter_next(f"receipt:{payment.location_id}")
    payment.status = PaymentStatus.COMPLETED
    plan["credit_applied"] = [{"charge_id": pk, "amount": amt} for pk, amt in credit_applied]
    payment.apply_plan = plan
    payment.save(update_fields=["entry", "receipt_number", "status", "apply_plan"])
    payment.response = payment_answer(payment)
    payment.save(update_fields=["response"])
    audit_record(
        actor=payment.taken_by,
        action=AuditAction.CREATE,
        category=AuditCategory.FINANCIAL,
        patient_id=account.holder_id,
        object_type="payment",
        object_id=payment.pk,
        detail={
            "event": "payment_taken",
            "amount": str(payment.amount),
            "tenders": sorted(t.kind for t in tenders),
            "receipt": payment.receipt_number,
            "entry": entry.pk if entry else None,
        },
    )


# --- reconciliation -----------------------------------------------------------------------------


def payment_reconcile_one(*, payment: Payment) -> Payment | None:
    """Ask the processor about a pending payment's attempt and finish it (None: nothing to do)."""
    attempt = payment.card_attempts.filter(
        status__in=[CardAttemptStatus.PENDING, CardAttemptStatus.TIMEOUT]
    ).first()
    if attempt is None or payment.status != PaymentStatus.PENDING:
        return None
    try:
        result = get_processor().lookup(attempt.reference)
    except ProcessorTimeout:
        return None  # ask again next time
    return _finish(payment.taken_by, payment.pk, attempt.pk, result)


def payment_reconcile(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Finish every pending card payment: timed out, or pending longer than the grace period
    (a crash between the processor's answer and our commit). Never charges: only looks up."""
    now = now or timezone.now()
    pending = (
        Payment.objects.filter(status=PaymentStatus.PENDING)
        .filter(card_attempts__status__in=[CardAttemptStatus.PENDING, CardAttemptStatus.TIMEOUT])
        .distinct()
        .order_by("pk")
    )
    counts = {"completed": 0, "declined": 0, "unanswered": 0}
    for payment in pending:
        attempt = payment.card_attempts.order_by("-pk").first()
        if (
            attempt is not None
            and attempt.status == CardAttemptStatus.PENDING
            and attempt.started_at > now - RECONCILE_GRACE
        ):
            continue  # may still be in flight
        try:
            finished = payment_reconcile_one(payment=payment)
        except DayClosed:
            log.warning("payment %s approved at the processor but its day is closed", payment.pk)
            counts["unanswered"] += 1
            continue
        if finished is None:
            counts["unanswered"] += 1
        elif finished.status == PaymentStatus.COMPLETED:
            counts["completed"] += 1
        else:
            counts["declined"] += 1
    return counts


# --- voids --------------------------------------------------------------------------------------


def payment_void(*, actor: Any, payment: Payment, reason: str) -> Payment:
    """Void a completed payment: a ledger reversal posted today (refused if today is closed), card
    tenders voided at the processor, the cash/check given back out of the actor's open drawer."""
    _require(actor, A.PAYMENT_VOID)
    _location_in_scope(actor, payment.location, A.PAYMENT_VOID)
    errors = FieldErrors()
    reason = clean_note(reason, "reason", errors)
    if not reason:
        errors.add("reason", MSG_REASON)
    errors.raise_if_any()
    now = timezone.now()
    # Everything that can refuse is checked before the processor is asked to give money back.
    with transaction.atomic():
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if current.status != PaymentStatus.COMPLETED:
            raise Conflict(MSG_VOID_STATE, code="not_voidable")
        _locked_open_drawer(actor, current.location)
        if ledger_selectors.day_is_closed(
            location=current.location, date=business_date(current.location, now)
        ):
            raise DayClosed()
    processor = get_processor()
    for attempt in payment.card_attempts.filter(status=CardAttemptStatus.APPROVED):
        try:
            processor.void(reference=attempt.reference)
        except ProcessorError as exc:
            raise Conflict(
                MSG_PROCESSOR_REFUSED.format(reason=exc), code="processor_refused"
            ) from None
    with transaction.atomic():
        current = Payment.objects.select_for_update().get(pk=payment.pk)
        if current.status != PaymentStatus.COMPLETED:
            raise Conflict(MSG_VOID_STATE, code="not_voidable")
        drawer = _locked_open_drawer(actor, current.location)
        reversal = None
        if current.entry is not None:
            reversal = entry_reverse(
                actor=actor,
                entry=current.entry,
                reason=reason,
                location=current.location,
                at=now,
                audit=False,
            )
        current.card_attempts.filter(status=CardAttemptStatus.APPROVED).update(
            status=CardAttemptStatus.REVERSED
        )
        current.status = PaymentStatus.VOIDED
        current.void_entry = reversal
        current.voided_at, current.voided_by, current.void_reason = now, actor, reason
        current.void_drawer = drawer
        current.void_receipt_number = counter_next(f"receipt:{current.location_id}")
        current.save(
            update_fields=[
                "void_receipt_number",
                "status",
                "void_entry",
                "voided_at",
                "voided_by",
                "void_reason",
                "void_drawer",
            ]
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.FINANCIAL,
            patient_id=current.account.holder_id,
            object_type="payment",
            object_id=current.pk,
            detail={
                "event": "payment_voided",
                "amount": str(current.amount),
                "receipt": current.receipt_number,
                "reversal": reversal.pk if reversal else None,
                "void_drawer": drawer.pk,
                "void_receipt": current.void_receipt_number,
            },
        )
    return current


# --- refunds ------------------------------------------------------------------------------------


def _card_refundable(payment: Payment) -> tuple[CardAttempt | None, Decimal]:
    attempt = payment.card_attempts.filter(status=CardAttemptStatus.APPROVED).first()
    if attempt is None:
        return None, ZERO
    refunded = sum((r.amount for r in payment.refunds.filter(method=RefundMethod.CARD)), ZERO)
    return attempt, attempt.amount - refunded


def refund_issue(
    *,
    actor: Any,
    account: Account,
    location: Location,
    amount: Any,
    method: str,
    reason: str,
    idempotency_key: str,
    payment: Payment | None = None,
    check_number: str = "",
) -> Refund:
    """Give unapplied credit back: cash out of the actor's open drawer, a practice check (with its
    number), or back to the card of ``payment`` through the processor. The REFUND ledger entry is
    paid by the credits (``payment``'s first). Same key + same request returns the same refund."""
    _require(actor, A.REFUND_ISSUE)
    _location_in_scope(actor, location, A.REFUND_ISSUE)
    _account_in_scope(actor, account)
    errors = FieldErrors()
    key = _check_key(idempotency_key, errors)
    value = clean_amount(amount, "amount", errors)
    reason = clean_note(reason, "reason", errors)
    if not reason:
        errors.add("reason", MSG_REASON)
    if method not in RefundMethod.values:
        errors.add("method", MSG_REFUND_METHOD)
    number = (check_number or "").strip()
    if method == RefundMethod.CHECK:
        if not number:
            errors.add("check_number", MSG_CHECK_NUMBER)
        elif not re.fullmatch(r"[A-Za-z0-9\-]{1,20}", number):
            errors.add("check_number", MSG_CHECK_NUMBER_FORMAT)
    if payment is not None and payment.account_id != account.pk:
        raise NotFound()
    if method == RefundMethod.CARD and payment is None:
        errors.add("payment", MSG_REFUND_CARD_NEEDS_PAYMENT)
    errors.raise_if_any()
    digest = _digest(
        {
            "actor": actor.pk,
            "account": account.pk,
            "location": location.pk,
            "amount": str(value),
            "method": method,
            "reason": reason,
            "payment": getattr(payment, "pk", None),
            "check_number": number,
        }
    )
    existing = Refund.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.request_digest != digest:
            raise Conflict(MSG_KEY_MISMATCH, code="idempotency_mismatch")
        return existing

    def check_state() -> DrawerSession | None:
        problems = FieldErrors()
        credit = ledger_selectors.account_balances(account=account).unapplied
        if value > credit:
            problems.add("amount", MSG_REFUND_OVER_CREDIT.format(credit=format_money(credit)))
        if payment is not None:
            left = (
                ZERO
                if payment.entry is None or payment.status != PaymentStatus.COMPLETED
                else ledger_selectors.open_amounts(account=account, entries=[payment.entry])[
                    payment.entry.pk
                ]
            )
            if value > left:
                problems.add("amount", MSG_REFUND_OVER_PAYMENT.format(left=format_money(left)))
            if method == RefundMethod.CARD:
                attempt, card_left = _card_refundable(payment)
                if attempt is None or value > card_left:
                    problems.add(
                        "method", MSG_REFUND_CARD_OVER.format(left=format_money(card_left))
                    )
        problems.raise_if_any()
        if ledger_selectors.day_is_closed(
            location=location, date=business_date(location, timezone.now())
        ):
            raise DayClosed()
        return _locked_open_drawer(actor, location) if method == RefundMethod.CASH else None

    with transaction.atomic():
        Account.objects.select_for_update().get(pk=account.pk)
        check_state()
    transaction_id = ""
    attempt = None
    if method == RefundMethod.CARD:
        assert payment is not None
        original, _ = _card_refundable(payment)
        assert original is not None
        reference = "rf-" + hashlib.sha256(key.encode()).hexdigest()[:40]
        try:
            with transaction.atomic():
                attempt = CardAttempt.objects.create(
                    reference=reference,
                    amount=value,
                    token=original.token,
                    started_at=timezone.now(),
                    card_brand=original.card_brand,
                    card_last4=original.card_last4,
                )
        except IntegrityError:
            attempt = CardAttempt.objects.get(reference=reference)
        try:
            result = get_processor().refund(
                reference=reference, original_reference=original.reference, amount=value
            )
        except ProcessorTimeout:
            raise Conflict(MSG_TIMEOUT, code="processor_timeout") from None
        except ProcessorError as exc:
            CardAttempt.objects.filter(pk=attempt.pk).update(
                status=CardAttemptStatus.DECLINED, decline_reason=str(exc)[:120]
            )
            raise Conflict(
                MSG_PROCESSOR_REFUSED.format(reason=exc), code="processor_refused"
            ) from None
        transaction_id = result.transaction_id
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = Account.objects.select_for_update().get(pk=account.pk)
            drawer = check_state()
            entry = entry_post(
                actor=actor,
                account=locked,
                posting=Posting(
                    kind=EntryKind.REFUND,
                    code=RefundCode.OVERPAYMENT,
                    amount=value,
                    location=location,
                    patient=payment.patient if payment is not None else None,
                    description=f"Refund ({RefundMethod(method).label})",
                    reason=reason,
                ),
                at=now,
                audit=False,
            )
            credits = ledger_selectors.open_amounts(
                account=locked, bucket=Bucket.PATIENT, debits=False
            )
            if payment is not None and payment.entry_id is not None:
                credits.sort(key=lambda pair: pair[0].pk != payment.entry_id)
            left = value
            for credit_entry, available in credits:
                if left <= 0:
                    break
                take = min(available, left)
                _allocate(actor, locked, credit_entry, [(entry, take)], now)
                left -= take
            refund = Refund.objects.create(
                account=account,
                payment=payment,
                location=location,
                drawer=drawer,
                method=method,
                amount=value,
                reason=reason,
                issued_by=actor,
                issued_at=now,
                business_date=business_date(location, now),
                idempotency_key=key,
                request_digest=digest,
                entry=entry,
                receipt_number=counter_next(f"receipt:{location.pk}"),
                check_number=number,
                processor_transaction_id=transaction_id,
            )
            if attempt is not None:
                CardAttempt.objects.filter(pk=attempt.pk).update(
                    refund=refund,
                    status=CardAttemptStatus.APPROVED,
                    processor_transaction_id=transaction_id,
                    finished_at=now,
                )
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                category=AuditCategory.FINANCIAL,
                patient_id=account.holder_id,
                object_type="refund",
                object_id=refund.pk,
                detail={
                    "event": "refund_issued",
                    "amount": str(value),
                    "method": method,
                    "receipt": refund.receipt_number,
                    "payment": getattr(payment, "pk", None),
                },
            )
    except IntegrityError:
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        if existing.request_digest != digest:
            raise Conflict(MSG_KEY_MISMATCH, code="idempotency_mismatch") from None
        return existing
    return refund


def allocation_policy() -> str:
    """The practice setting: apply payments to the oldest open charge first (default)."""
    return str(getattr(settings, "FRONTDESK_PAYMENT_ALLOCATION", AllocationPolicy.OLDEST_FIRST))
