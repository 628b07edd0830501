"""Reads of the ledger: balances are computed from entries, never stored.

``open_amounts`` is the open-item view: a debit (charge, debit adjustment, transfer in, refund) is
open by its amount less the allocations that still count; a credit (payment, credit adjustment,
transfer out) is unapplied by its amount less the same. An allocation stops counting when either side
is reversed, and a reversed entry (or a reversal) is never open. For each bucket,
``sum(entries) == sum(open debits) - sum(unapplied credits)`` - the property tests hold it to that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import NotFound
from frontdesk.core.money import ZERO, money_sum, summed
from frontdesk.core.queryset import get_restricted
from frontdesk.ledger.choices import Bucket, DayState, EntryKind
from frontdesk.ledger.models import Account, Allocation, LedgerDay, LedgerEntry
from frontdesk.patients.choices import GuarantorKind
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Location


@dataclass(frozen=True)
class Balances:
    total: Decimal
    patient: Decimal  # what the patient (guarantor) owes now; negative = credit on account
    insurance: Decimal  # what insurance is expected to pay
    unapplied: Decimal  # payments and credits not yet applied to a charge (patient bucket)


def account_balances(*, account: Account) -> Balances:
    """The account's balances in two queries, whatever its length."""
    totals = LedgerEntry.objects.filter(account=account).aggregate(
        total=money_sum(),
        patient=money_sum(filter=Q(bucket=Bucket.PATIENT)),
        insurance=money_sum(filter=Q(bucket=Bucket.INSURANCE)),
    )
    credits = open_amounts(account=account, bucket=Bucket.PATIENT, debits=False)
    return Balances(
        total=summed(totals["total"]),
        patient=summed(totals["patient"]),
        insurance=summed(totals["insurance"]),
        unapplied=sum((amount for _, amount in credits), ZERO),
    )


def _live_allocations() -> Any:
    return Allocation.objects.filter(credit__reversal__isnull=True, debit__reversal__isnull=True)


def open_amounts(
    *,
    account: Account,
    bucket: str | None = None,
    debits: bool = True,
    entries: Iterable[LedgerEntry] | None = None,
) -> Any:
    """Open debits (``debits=True``) or unapplied credits, oldest first, as ``[(entry, amount)]``.

    With ``entries`` given, returns ``{entry_id: open amount}`` for exactly those entries (0 for an
    entry that is reversed, a reversal, or fully applied). Two queries either way.
    """
    qs = LedgerEntry.objects.filter(account=account, reverses__isnull=True, reversal__isnull=True)
    if entries is not None:
        wanted = [entry.pk for entry in entries]
        rows = {entry.pk: entry for entry in qs.filter(pk__in=wanted)}
        used = _used(rows.values())
        return {
            pk: (abs(rows[pk].amount) - used.get(pk, ZERO)) if pk in rows else ZERO for pk in wanted
        }
    if bucket is not None:
        qs = qs.filter(bucket=bucket)
    if debits:
        qs = qs.filter(amount__gt=0).exclude(kind=EntryKind.PAYMENT)
    else:
        qs = qs.filter(amount__lt=0).exclude(kind=EntryKind.REFUND)
    ordered = list(qs.order_by("service_date", "posted_at", "pk"))
    used = _used(ordered)
    result = []
    for entry in ordered:
        left = abs(entry.amount) - used.get(entry.pk, ZERO)
        if left > 0:
            result.append((entry, left))
    return result


def _used(entries: Iterable[LedgerEntry]) -> dict[int, Decimal]:
    """How much of each entry the live allocations have used (as credit or as debit)."""
    credits = [e.pk for e in entries if e.amount < 0]
    debits = [e.pk for e in entries if e.amount > 0]
    used: dict[int, Decimal] = {}
    if not credits and not debits:
        return used
    rows = _live_allocations().filter(Q(credit_id__in=credits) | Q(debit_id__in=debits))
    credit_set, debit_set = set(credits), set(debits)
    for credit_id, debit_id, amount in rows.values_list("credit_id", "debit_id", "amount"):
        if credit_id in credit_set:
            used[credit_id] = used.get(credit_id, ZERO) + amount
        if debit_id in debit_set:
            used[debit_id] = used.get(debit_id, ZERO) + amount
    return used


def account_for_patient_or_none(*, patient: Patient) -> Account | None:
    from frontdesk.ledger.services import account_holder

    return Account.objects.filter(holder=account_holder(patient)).first()


def patient_balance_due(*, patient: Patient) -> Decimal | None:
    """What the patient's guarantor owes now (patient responsibility), or None with no account yet."""
    account = account_for_patient_or_none(patient=patient)
    if account is None:
        return None
    total = LedgerEntry.objects.filter(account=account, bucket=Bucket.PATIENT).aggregate(
        total=money_sum()
    )["total"]
    return summed(total)


def balances_for_patients(*, patient_ids: Any) -> dict[int, Decimal]:
    """Patient-responsibility balance per patient (through their guarantor's account), 2 queries.

    ``patient_ids`` is a list of ids or a queryset of them (``.values("patient_id")``): pass a
    queryset for thousands of patients, so no statement carries a long parameter list. Patients whose
    guarantor has nothing on the ledger are absent from the answer.
    """
    patients = Patient.objects.filter(pk__in=patient_ids)
    holder_of = {
        pk: (guarantor if kind == GuarantorKind.PATIENT and guarantor else pk)
        for pk, kind, guarantor in patients.values_list(
            "pk", "guarantor_kind", "guarantor_patient_id"
        )
    }
    if not holder_of:
        return {}
    guarantors = patients.filter(guarantor_kind=GuarantorKind.PATIENT).values(
        "guarantor_patient_id"
    )
    rows = (
        LedgerEntry.objects.filter(bucket=Bucket.PATIENT)
        .filter(
            Q(account__holder_id__in=patients.values("pk")) | Q(account__holder_id__in=guarantors)
        )
        .values("account__holder_id")
        .annotate(total=money_sum())
        .order_by()
    )
    by_holder = {row["account__holder_id"]: summed(row["total"]) for row in rows}
    return {pk: by_holder[holder] for pk, holder in holder_of.items() if holder in by_holder}


@dataclass(frozen=True)
class Line:
    entry: LedgerEntry
    running: Decimal  # the patient-responsibility balance after this entry


def account_get(*, user: Any, account_id: Any) -> Account:
    """An account the user may see (NotFound otherwise); the read is audited."""
    account = get_restricted(
        Account.objects.select_related("holder"), user, A.LEDGER_VIEW, pk=account_id
    )
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.FINANCIAL,
        patient_id=account.holder_id,
        object_type="account",
        object_id=account.pk,
    )
    return account


def account_lines(*, account: Account, bucket: str = Bucket.PATIENT) -> list[Line]:
    """Every entry of one bucket, oldest first, with the running balance: one query."""
    entries = (
        LedgerEntry.objects.filter(account=account, bucket=bucket)
        .select_related("patient", "location", "posted_by", "reverses")
        .order_by("posted_at", "pk")
    )
    running = ZERO
    lines = []
    for entry in entries:
        running += entry.amount
        lines.append(Line(entry=entry, running=running))
    return lines


def day_is_closed(*, location: Location, date: Any) -> bool:
    return LedgerDay.objects.filter(location=location, date=date, state=DayState.CLOSED).exists()


def entries_for_day(*, location: Location, date: Any) -> Any:
    return LedgerEntry.objects.filter(location=location, posting_date=date)


def account_or_404(*, user: Any, patient: Patient) -> Account:
    account = account_for_patient_or_none(patient=patient)
    if (
        account is None
        or not Account.objects.restrict(user, A.LEDGER_VIEW).filter(pk=account.pk).exists()
    ):
        raise NotFound()
    return account
