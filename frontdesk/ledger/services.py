"""Writes to the ledger. Every entry goes through ``_post``: checked, signed, dated, never changed.

Rules kept here (and, where a database can, in constraints and triggers):
- amounts are parsed money (two places), non-zero, with the sign of their kind;
- an entry is posted on its location's business day (the location's timezone), which must be open;
- all writes to one account are serialized by locking the account row, and all postings into one
  location-day by locking the day row, so a day close and a payment cannot interleave;
- a correction is a reversal: a new entry of the same kind and opposite amount pointing at the
  original, with a reason; an entry is reversed at most once and a reversal is never reversed;
- allocations never exceed what is open on either side.

Callers that record a larger business event (a payment with tenders, a refund) pass ``audit=False``
and write the one audit row for their event themselves, inside the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.counters import counter_next
from frontdesk.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from frontdesk.core.money import ZERO, MoneyError, currency, parse_money
from frontdesk.ledger.choices import (
    SIGN,
    AdjustmentCode,
    AllocationPolicy,
    Bucket,
    ChargeCode,
    DayState,
    EntryKind,
    TransferCode,
)
from frontdesk.ledger.errors import AlreadyReversed, DayClosed
from frontdesk.ledger.models import Account, Allocation, LedgerDay, LedgerEntry
from frontdesk.patients.choices import GuarantorKind
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Location
from frontdesk.standards.pan import contains_card_number

MSG_CARD_NUMBER = "That looks like a card number. Never type card numbers into notes; remove it."
MSG_REASON = "Give a reason."
MSG_NOT_CREDIT = (
    "Only a payment, a credit adjustment or a transfer credit can be applied to charges."
)
MSG_NOT_DEBIT = "Payments can only be applied to charges, debit adjustments or transfers."
MSG_OVER_CREDIT = "That is more than is left of the payment to apply."
MSG_OVER_DEBIT = "That is more than is still open on the charge."
MSG_OTHER_ACCOUNT = "Both sides of an allocation must be on the same account and responsibility."
MSG_REVERSE_REVERSAL = "A reversal cannot itself be reversed; post a new entry instead."
MSG_TRANSFER_SAME = "Pick the other responsibility to move the amount to."


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def _require_location(actor: Any, location_id: int, action: str) -> None:
    if not Location.objects.restrict(actor, action).filter(pk=location_id).exists():
        raise NotFound()


def _require_account(actor: Any, account: Account) -> None:
    """The account's holder must be a record the actor may see (restricted records stay hidden)."""
    if not Account.objects.restrict(actor, A.LEDGER_VIEW).filter(pk=account.pk).exists():
        raise NotFound()


def business_date(location: Location, at: dt.datetime) -> dt.date:
    """The location's business day at instant ``at`` (its own timezone)."""
    return at.astimezone(location.tzinfo).date()


def clean_note(value: str, field: str, errors: FieldErrors, *, limit: int = 200) -> str:
    """Trim a free-text note and refuse anything that looks like a card number (PCI DSS)."""
    text = (value or "").strip()
    if contains_card_number(text):
        errors.add(field, MSG_CARD_NUMBER)
    if len(text) > limit:
        errors.add(field, f"Keep it under {limit} characters.")
    return text


def clean_amount(value: Any, field: str, errors: FieldErrors, *, positive: bool = True) -> Decimal:
    """Parse a money amount for a form field; positive amounts only unless told otherwise."""
    try:
        amount = parse_money(value)
    except MoneyError as exc:
        errors.add(field, str(exc))
        return ZERO
    if positive and amount <= 0:
        errors.add(field, "Enter an amount greater than zero.")
    elif amount == 0:
        errors.add(field, "Enter an amount other than zero.")
    return amount


# --- accounts -----------------------------------------------------------------------------------


def account_holder(patient: Patient) -> Patient:
    """Whose account carries this patient's charges: another patient guarantor, else the patient."""
    if patient.guarantor_kind == GuarantorKind.PATIENT and patient.guarantor_patient_id:
        return patient.guarantor_patient  # type: ignore[return-value]
    return patient


def account_for_patient(*, patient: Patient) -> Account:
    """The account this patient's charges go on, created (empty) the first time it is needed."""
    holder = account_holder(patient)
    account = Account.objects.filter(holder=holder).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            number = f"A{counter_next('ledger.account', start=100001):06d}"
            return Account.objects.create(holder=holder, number=number, currency=currency())
    except IntegrityError:  # created concurrently
        return Account.objects.get(holder=holder)


def _locked_account(account: Account) -> Account:
    return Account.objects.select_for_update().get(pk=account.pk)


# --- business days ------------------------------------------------------------------------------


def _day_row(location: Location, date: dt.date) -> LedgerDay:
    """The location-day row, created open if missing, locked for the rest of the transaction."""
    day = LedgerDay.objects.select_for_update().filter(location=location, date=date).first()
    if day is not None:
        return day
    try:
        with transaction.atomic():
            LedgerDay.objects.create(location=location, date=date)
    except IntegrityError:
        pass
    return LedgerDay.objects.select_for_update().get(location=location, date=date)


def ledger_day_open_for_posting(location: Location, date: dt.date) -> LedgerDay:
    """Lock the day for a posting, or raise DayClosed. Call inside a transaction."""
    day = _day_row(location, date)
    if day.state == DayState.CLOSED:
        raise DayClosed()
    return day


def ledger_day_lock(*, actor: Any, location: Location, date: dt.date) -> LedgerDay:
    """Close (lock) a location's business day. The day-close service checks drawers first."""
    _require(actor, A.DAY_CLOSE)
    _require_location(actor, location.pk, A.DAY_CLOSE)
    with transaction.atomic():
        day = _day_row(location, date)
        if day.state == DayState.CLOSED:
            raise Conflict("That day is already closed.", code="day_already_closed")
        day.state, day.closed_at, day.closed_by = DayState.CLOSED, timezone.now(), actor
        day.save(update_fields=["state", "closed_at", "closed_by"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.FINANCIAL,
            object_type="ledger_day",
            object_id=day.pk,
            detail={"event": "day_closed", "location_id": location.pk, "date": date.isoformat()},
        )
    return day


def ledger_day_reopen(*, actor: Any, location: Location, date: dt.date, reason: str) -> LedgerDay:
    """Reopen a closed day: a manager, a reason, and an audit row."""
    _require(actor, A.DAY_REOPEN)
    _require_location(actor, location.pk, A.DAY_REOPEN)
    errors = FieldErrors()
    reason = clean_note(reason, "reason", errors)
    if not reason:
        errors.add("reason", MSG_REASON)
    errors.raise_if_any()
    with transaction.atomic():
        day = _day_row(location, date)
        if day.state != DayState.CLOSED:
            raise Conflict("That day is not closed.", code="day_not_closed")
        day.state, day.closed_at, day.closed_by = DayState.OPEN, None, None
        day.reopen_count += 1
        day.save(update_fields=["state", "closed_at", "closed_by", "reopen_count"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.FINANCIAL,
            object_type="ledger_day",
            object_id=day.pk,
            detail={
                "event": "day_reopened",
                "location_id": location.pk,
                "date": date.isoformat(),
                "reason": reason,
            },
        )
    return day


# --- posting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Posting:
    """What to post; ``amount`` carries its sign (see ``choices.SIGN``)."""

    kind: str
    code: str
    amount: Decimal
    location: Location
    bucket: str = Bucket.PATIENT
    patient: Patient | None = None
    appointment: Any = None
    service_date: dt.date | None = None
    description: str = ""
    reason: str = ""
    memo: str = ""


def _check_sign(kind: str, amount: Decimal, *, reversal: bool) -> None:
    sign = SIGN[kind]
    if amount == 0:
        raise Conflict("A ledger entry cannot be zero.", code="zero_amount")
    if sign and (amount > 0) != ((sign > 0) != reversal):
        raise Conflict(f"A {kind} entry of {amount} has the wrong sign.", code="wrong_sign")


def _post(
    *,
    actor: Any,
    account: Account,
    posting: Posting,
    at: dt.datetime,
    reverses: LedgerEntry | None = None,
    transfer_of: LedgerEntry | None = None,
) -> LedgerEntry:
    """Insert one entry. The caller holds the account lock and has validated the input."""
    _check_sign(posting.kind, posting.amount, reversal=reverses is not None)
    date = business_date(posting.location, at)
    ledger_day_open_for_posting(posting.location, date)
    return LedgerEntry.objects.create(
        account=account,
        patient=posting.patient,
        location=posting.location,
        kind=posting.kind,
        code=posting.code,
        bucket=posting.bucket,
        amount=posting.amount,
        currency=account.currency,
        posting_date=date,
        posted_at=at,
        posted_by=actor,
        service_date=posting.service_date,
        appointment=posting.appointment,
        description=posting.description[:200],
        reason=posting.reason[:200],
        memo=posting.memo[:200],
        reverses=reverses,
        transfer_of=transfer_of,
    )


def _audit_entry(actor: Any, entry: LedgerEntry, event: str, **detail: Any) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        category=AuditCategory.FINANCIAL,
        patient_id=entry.patient_id or entry.account.holder_id,
        object_type="ledger_entry",
        object_id=entry.pk,
        detail={
            "event": event,
            "kind": entry.kind,
            "code": entry.code,
            "amount": str(entry.amount),
            "account": entry.account.number,
            **detail,
        },
    )


def entry_post(
    *,
    actor: Any,
    account: Account,
    posting: Posting,
    at: dt.datetime | None = None,
    audit: bool = True,
) -> LedgerEntry:
    """Post one entry on ``account`` (for other apps' services: payments, fees, billing).

    The caller has checked the actor's permission for its own business event; this checks the
    posting itself (location scope, day open, sign, notes). ``at`` back-dates only for loaders of
    history (the demo); a closed day refuses it like any other.
    """
    _require_location(actor, posting.location.pk, A.LEDGER_VIEW)
    errors = FieldErrors()
    clean_note(posting.memo, "memo", errors)
    clean_note(posting.description, "description", errors)
    clean_note(posting.reason, "reason", errors)
    errors.raise_if_any()
    with transaction.atomic():
        locked = _locked_account(account)
        entry = _post(actor=actor, account=locked, posting=posting, at=at or timezone.now())
        if audit:
            _audit_entry(actor, entry, f"{posting.kind}_posted")
    return entry


def charge_post(
    *,
    actor: Any,
    patient: Patient,
    location: Location,
    code: str,
    amount: Any,
    appointment: Any = None,
    service_date: dt.date | None = None,
    description: str = "",
    memo: str = "",
    bucket: str = Bucket.PATIENT,
    at: dt.datetime | None = None,
) -> LedgerEntry:
    """Post a charge (copay, fee, visit charge) to the patient's account."""
    _require(actor, A.CHARGE_POST)
    _require_location(actor, location.pk, A.CHARGE_POST)
    errors = FieldErrors()
    value = clean_amount(amount, "amount", errors)
    if code not in ChargeCode.values:
        errors.add("code", "Pick what the charge is for.")
    if bucket not in Bucket.values:
        errors.add("bucket", "Pick who is responsible.")
    memo = clean_note(memo, "memo", errors)
    description = clean_note(description, "description", errors)
    errors.raise_if_any()
    if not Patient.objects.restrict(actor, A.LEDGER_VIEW).filter(pk=patient.pk).exists():
        raise NotFound()
    account = account_for_patient(patient=patient)
    posting = Posting(
        kind=EntryKind.CHARGE,
        code=code,
        amount=value,
        location=location,
        bucket=bucket,
        patient=patient,
        appointment=appointment,
        service_date=service_date or business_date(location, at or timezone.now()),
        description=description or ChargeCode(code).label,
        memo=memo,
    )
    return entry_post(actor=actor, account=account, posting=posting, at=at)


def adjustment_post(
    *,
    actor: Any,
    account: Account,
    location: Location,
    code: str,
    amount: Any,
    reason: str,
    apply_to: LedgerEntry | None = None,
    bucket: str = Bucket.PATIENT,
    at: dt.datetime | None = None,
) -> LedgerEntry:
    """Post an adjustment: negative writes off (and may be applied to a charge), positive adds."""
    _require(actor, A.CHARGE_POST)
    _require_location(actor, location.pk, A.CHARGE_POST)
    _require_account(actor, account)
    errors = FieldErrors()
    value = clean_amount(amount, "amount", errors, positive=False)
    if code not in AdjustmentCode.values:
        errors.add("code", "Pick the kind of adjustment.")
    reason = clean_note(reason, "reason", errors)
    if not reason:
        errors.add("reason", MSG_REASON)
    if apply_to is not None and value >= 0:
        errors.add("amount", "Only a credit (negative) adjustment can be applied to a charge.")
    errors.raise_if_any()
    posting = Posting(
        kind=EntryKind.ADJUSTMENT,
        code=code,
        amount=value,
        location=location,
        bucket=bucket,
        patient=apply_to.patient if apply_to is not None else None,
        description=AdjustmentCode(code).label,
        reason=reason,
    )
    with transaction.atomic():
        locked = _locked_account(account)
        entry = _post(actor=actor, account=locked, posting=posting, at=at or timezone.now())
        if apply_to is not None:
            _allocate(actor, locked, entry, [(apply_to, -value)], at or timezone.now())
        _audit_entry(actor, entry, "adjustment_posted")
    return entry


def entry_reverse(
    *,
    actor: Any,
    entry: LedgerEntry,
    reason: str,
    location: Location | None = None,
    at: dt.datetime | None = None,
    audit: bool = True,
) -> LedgerEntry:
    """Reverse an entry today (at ``location``, default the original's): same kind, opposite amount.

    Reversing a payment frees the charges it paid; reversing a charge frees the payments applied to
    it (they become unapplied credit). Both halves of a transfer are reversed together.
    """
    action = A.PAYMENT_VOID if entry.kind == EntryKind.PAYMENT else A.CHARGE_POST
    _require(actor, action)
    where = location or entry.location
    _require_location(actor, where.pk, action)
    _require_account(actor, entry.account)
    errors = FieldErrors()
    reason = clean_note(reason, "reason", errors)
    if not reason:
        errors.add("reason", MSG_REASON)
    errors.raise_if_any()
    now = at or timezone.now()
    with transaction.atomic():
        locked = _locked_account(entry.account)
        current = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
        if current.reverses_id is not None:
            raise Conflict(MSG_REVERSE_REVERSAL, code="reverse_reversal")
        halves = [current]
        if current.kind == EntryKind.TRANSFER:  # the account lock covers both halves
            first = current.transfer_of or current
            halves = [first, *LedgerEntry.objects.filter(transfer_of=first).order_by("pk")]
        reversals: list[LedgerEntry] = []
        for half in halves:
            if LedgerEntry.objects.filter(reverses=half).exists():
                raise AlreadyReversed()
            posting = Posting(
                kind=half.kind,
                code=half.code,
                amount=-half.amount,
                location=where,
                bucket=half.bucket,
                patient=half.patient,
                appointment=half.appointment,
                service_date=half.service_date,
                description=f"Reversal of {half.description or half.get_kind_display()}"[:200],
                reason=reason,
            )
            reversals.append(
                _post(actor=actor, account=locked, posting=posting, at=now, reverses=half)
            )
        if audit:
            _audit_entry(actor, reversals[0], "entry_reversed", reverses=current.pk, reason=reason)
    return reversals[0]


def transfer_post(
    *,
    actor: Any,
    charge: LedgerEntry,
    amount: Any,
    to_bucket: str,
    reason: str,
    at: dt.datetime | None = None,
) -> tuple[LedgerEntry, LedgerEntry]:
    """Move part of a charge between insurance and patient responsibility (two linked entries).

    The credit half is applied to the charge at once, so the moved amount is no longer open there;
    the debit half is a new open item in the other bucket.
    """
    _require(actor, A.CHARGE_POST)
    _require_location(actor, charge.location_id, A.CHARGE_POST)
    _require_account(actor, charge.account)
    errors = FieldErrors()
    value = clean_amount(amount, "amount", errors)
    reason = clean_note(reason, "reason", errors)
    if not reason:
        errors.add("reason", MSG_REASON)
    if to_bucket not in Bucket.values or to_bucket == charge.bucket:
        errors.add("to_bucket", MSG_TRANSFER_SAME)
    errors.raise_if_any()
    now = at or timezone.now()
    code = TransferCode.TO_PATIENT if to_bucket == Bucket.PATIENT else TransferCode.TO_INSURANCE
    with transaction.atomic():
        locked = _locked_account(charge.account)
        location = charge.location
        common: dict[str, Any] = {
            "kind": EntryKind.TRANSFER,
            "code": code,
            "location": location,
            "patient": charge.patient,
            "appointment": charge.appointment,
            "service_date": charge.service_date,
            "description": TransferCode(code).label,
            "reason": reason,
        }
        credit = _post(
            actor=actor,
            account=locked,
            posting=Posting(amount=-value, bucket=charge.bucket, **common),
            at=now,
        )
        _allocate(actor, locked, credit, [(charge, value)], now)
        debit = _post(
            actor=actor,
            account=locked,
            posting=Posting(amount=value, bucket=to_bucket, **common),
            at=now,
            transfer_of=credit,
        )
        _audit_entry(actor, credit, "responsibility_transferred", debit=debit.pk, charge=charge.pk)
    return credit, debit


# --- allocation ---------------------------------------------------------------------------------


def is_credit(entry: LedgerEntry) -> bool:
    return entry.reverses_id is None and entry.amount < 0 and entry.kind != EntryKind.REFUND


def is_debit(entry: LedgerEntry) -> bool:
    return entry.reverses_id is None and entry.amount > 0 and entry.kind != EntryKind.PAYMENT


def _allocate(
    actor: Any,
    account: Account,
    credit: LedgerEntry,
    targets: list[tuple[LedgerEntry, Decimal]] | None,
    at: dt.datetime,
) -> list[Allocation]:
    """Apply ``credit`` to debits (explicit, or oldest open first). The caller holds the lock."""
    from frontdesk.ledger.selectors import open_amounts

    if not is_credit(credit):
        raise Conflict(MSG_NOT_CREDIT, code="not_credit")
    if targets is None:
        open_debits = open_amounts(account=account, bucket=credit.bucket, debits=True)
        remaining = open_amounts(account=account, entries=[credit])[credit.pk]
        targets = []
        for debit, open_amount in open_debits:
            if remaining <= 0:
                break
            take = min(open_amount, remaining)
            targets.append((debit, take))
            remaining -= take
    credit_left = open_amounts(account=account, entries=[credit])[credit.pk]
    debit_open = open_amounts(account=account, entries=[debit for debit, _ in targets])
    created: list[Allocation] = []
    for debit, amount in targets:
        if debit.account_id != account.pk or debit.bucket != credit.bucket:
            raise Conflict(MSG_OTHER_ACCOUNT, code="other_account")
        if not is_debit(debit):
            raise Conflict(MSG_NOT_DEBIT, code="not_debit")
        if amount <= 0:
            raise Conflict("An allocation must be positive.", code="allocation_not_positive")
        if amount > credit_left:
            raise Conflict(MSG_OVER_CREDIT, code="over_credit")
        if amount > debit_open[debit.pk]:
            raise Conflict(MSG_OVER_DEBIT, code="over_debit")
        created.append(
            Allocation.objects.create(
                credit=credit, debit=debit, amount=amount, created_at=at, created_by=actor
            )
        )
        credit_left -= amount
        debit_open[debit.pk] -= amount
    return created


def allocate(
    *,
    actor: Any,
    credit: LedgerEntry,
    targets: list[tuple[LedgerEntry, Any]] | None = None,
    policy: str = AllocationPolicy.OLDEST_FIRST,
    at: dt.datetime | None = None,
    audit: bool = True,
) -> list[Allocation]:
    """Apply a credit to charges: the ones given (with amounts), or the oldest open ones first."""
    _require(actor, A.PAYMENT_COLLECT)
    if policy == AllocationPolicy.SPECIFIC and not targets:
        raise Conflict("Pick the charges to apply the payment to.", code="no_targets")
    parsed: list[tuple[LedgerEntry, Decimal]] | None = None
    if targets is not None:
        parsed = [(debit, parse_money(amount)) for debit, amount in targets]
    with transaction.atomic():
        locked = _locked_account(credit.account)
        allocations = _allocate(actor, locked, credit, parsed, at or timezone.now())
        if audit and allocations:
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                category=AuditCategory.FINANCIAL,
                patient_id=locked.holder_id,
                object_type="ledger_entry",
                object_id=credit.pk,
                detail={
                    "event": "credit_applied",
                    "to": [a.debit_id for a in allocations],
                    "amount": str(sum((a.amount for a in allocations), ZERO)),
                },
            )
    return allocations
