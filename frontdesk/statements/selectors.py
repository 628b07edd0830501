"""Reads for the account page, statements, runs and payment plans.

The account page reads in a fixed number of queries whatever the account's length: the audited
account read, the patients on it, the balances, one query per bucket for the lines, and one each for
the payments and refunds that recorded those lines (their receipt numbers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.core.money import ZERO, money_sum, summed
from frontdesk.core.queryset import get_restricted
from frontdesk.ledger.choices import Bucket, EntryKind
from frontdesk.ledger.models import Account, LedgerEntry
from frontdesk.ledger.selectors import Balances, account_balances, account_get
from frontdesk.patients.choices import GuarantorKind
from frontdesk.patients.models import Patient
from frontdesk.statements.choices import PlanStatus
from frontdesk.statements.models import Instalment, PaymentPlan, Statement, StatementRun


@dataclass(slots=True)
class AccountLine:
    """A ledger line as the account page shows it (read as plain values: 2,000 of them are cheap)."""

    pk: int
    posting_date: dt.date
    kind: str
    description: str
    amount: Decimal
    running: Decimal  # the bucket's balance after this entry
    reverses_id: int | None
    reason: str
    patient_name: str
    reversed_by_id: int | None = None  # the reversal pointing at this entry, if any
    receipt: str = ""  # the payment's or refund's receipt number

    @property
    def is_payment_or_refund(self) -> bool:
        return self.kind in (EntryKind.PAYMENT, EntryKind.REFUND)


@dataclass
class AccountPage:
    account: Account
    patients: list[Patient]
    balances: Balances
    lines: list[AccountLine]
    insurance_lines: list[AccountLine]
    plan: PaymentPlan | None = None
    instalments: list[InstalmentState] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)


LINE_FIELDS = (
    "pk",
    "bucket",
    "posting_date",
    "kind",
    "description",
    "amount",
    "reverses_id",
    "reason",
    "patient_id",
)


def account_lines_by_bucket(
    *, account: Account, names: dict[int, str]
) -> dict[str, list[AccountLine]]:
    """Every entry per bucket, oldest first, with its running balance, reversal links and receipt.

    The same order and running balance as ``ledger.selectors.account_lines`` but one query for both
    buckets and plain values instead of model instances (a 2,000-entry account stays fast).
    """
    receipts = _receipts(account)
    rows = (
        LedgerEntry.objects.filter(account=account)
        .order_by("posted_at", "pk")
        .values_list(*LINE_FIELDS)
    )
    result: dict[str, list[AccountLine]] = {Bucket.PATIENT: [], Bucket.INSURANCE: []}
    running = {Bucket.PATIENT: ZERO, Bucket.INSURANCE: ZERO}
    reversed_by: dict[int, int] = {}
    for pk, bucket, day, kind, description, amount, reverses_id, reason, patient_id in rows:
        running[bucket] = running.get(bucket, ZERO) + amount
        if reverses_id:
            reversed_by[reverses_id] = pk
        result.setdefault(bucket, []).append(
            AccountLine(
                pk=pk,
                posting_date=day,
                kind=kind,
                description=description,
                amount=amount,
                running=running[bucket],
                reverses_id=reverses_id,
                reason=reason,
                patient_name=names.get(patient_id, "") if patient_id else "",
                receipt=receipts.get(pk, ""),
            )
        )
    for lines in result.values():
        for line in lines:
            line.reversed_by_id = reversed_by.get(line.pk)
    return result


def _receipts(account: Account) -> dict[int, str]:
    """Receipt numbers by ledger entry (payments, their voids, refunds): two queries, read-only."""
    from frontdesk.payments.models import Payment, Refund

    found: dict[int, str] = {}
    rows = Payment.objects.filter(account=account, receipt_number__isnull=False).values_list(
        "entry_id", "void_entry_id", "receipt_number"
    )
    for entry_id, void_entry_id, number in rows:
        if entry_id:
            found[entry_id] = f"#{number}"
        if void_entry_id:
            found[void_entry_id] = f"void of #{number}"
    for entry_id, number in Refund.objects.filter(account=account).values_list(
        "entry_id", "receipt_number"
    ):
        found[entry_id] = f"#{number}"
    return found


def account_patients(*, account: Account) -> list[Patient]:
    """The holder first, then the dependants whose charges go on this account."""
    others = Patient.objects.filter(
        guarantor_kind=GuarantorKind.PATIENT, guarantor_patient_id=account.holder_id
    ).order_by("last_name", "first_name", "pk")
    return [account.holder, *[p for p in others if p.pk != account.holder_id]]


def account_page(*, user: Any, account_id: Any) -> AccountPage:
    """Everything the account page shows, in a constant number of queries (audited read)."""
    account = account_get(user=user, account_id=account_id)
    patients = account_patients(account=account)
    names = {p.pk: p.display_name for p in patients}
    lines = account_lines_by_bucket(account=account, names=names)
    plan = active_plan(account=account)
    return AccountPage(
        account=account,
        patients=patients,
        balances=account_balances(account=account),
        lines=lines[Bucket.PATIENT],
        insurance_lines=lines[Bucket.INSURANCE],
        plan=plan,
        instalments=plan_schedule(plan=plan) if plan is not None else [],
        statements=list(
            Statement.objects.filter(account=account).order_by("-cycle_date", "-pk")[:12]
        ),
    )


def account_for_user(*, user: Any, account_id: Any, action: str) -> Account:
    """An account in the user's scope for ``action`` (NotFound otherwise); not audited."""
    return get_restricted(Account.objects.select_related("holder"), user, action, pk=account_id)


def entry_for_user(*, user: Any, account: Account, entry_id: Any) -> LedgerEntry:
    """A non-payment entry of ``account`` the user may post corrections to."""
    return get_restricted(
        LedgerEntry.objects.filter(account=account).select_related("account", "location"),
        user,
        A.CHARGE_POST,
        pk=entry_id,
    )


# --- payment plans --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstalmentState:
    instalment: Instalment
    paid: Decimal  # how much of it the plan's payments cover
    is_paid: bool
    is_overdue: bool


def active_plan(*, account: Account) -> PaymentPlan | None:
    return PaymentPlan.objects.filter(account=account, status=PlanStatus.ACTIVE).first()


def plan_paid_total(*, plan: PaymentPlan) -> Decimal:
    """Net patient payments on the account since the plan began (a voided payment nets to zero)."""
    total = LedgerEntry.objects.filter(
        account_id=plan.account_id,
        kind=EntryKind.PAYMENT,
        bucket=Bucket.PATIENT,
        posted_at__gte=plan.counts_from,
    ).aggregate(total=money_sum())["total"]
    return -summed(total)


def plan_schedule(*, plan: PaymentPlan, today: dt.date | None = None) -> list[InstalmentState]:
    """Each instalment with how much of it is paid: payments cover instalments in due order.

    Computed from the ledger every time, so a voided payment un-pays an instalment at once.
    """
    today = today or timezone.localdate()
    left = max(plan_paid_total(plan=plan), ZERO)
    states = []
    for instalment in plan.instalments.order_by("number"):
        paid = min(left, instalment.amount)
        left -= paid
        states.append(
            InstalmentState(
                instalment=instalment,
                paid=paid,
                is_paid=paid == instalment.amount,
                is_overdue=paid < instalment.amount and instalment.due_date < today,
            )
        )
    return states


def plan_get(*, user: Any, plan_id: Any) -> PaymentPlan:
    return get_restricted(
        PaymentPlan.objects.select_related("account", "account__holder"),
        user,
        A.STATEMENT_RUN,
        pk=plan_id,
    )


# --- statements -----------------------------------------------------------------------------------


def statement_get(*, user: Any, statement_id: Any) -> Statement:
    return get_restricted(
        Statement.objects.select_related("account", "account__holder"),
        user,
        A.LEDGER_VIEW,
        pk=statement_id,
    )


def run_get(*, user: Any, run_id: Any) -> StatementRun:
    return get_restricted(StatementRun.objects.all(), user, A.STATEMENT_RUN, pk=run_id)


def run_list(*, user: Any, limit: int = 20) -> list[StatementRun]:
    return list(StatementRun.objects.restrict(user, A.STATEMENT_RUN).order_by("-pk")[:limit])


def run_statements(*, user: Any, run: StatementRun) -> list[Statement]:
    return list(
        Statement.objects.restrict(user, A.STATEMENT_RUN)
        .filter(run=run)
        .select_related("account", "account__holder")
        .order_by("account__number")
    )


def accounts_over_threshold(*, threshold: Decimal) -> list[tuple[int, Decimal]]:
    """(account id, patient balance) of every account owing more than ``threshold``: one query."""
    rows = (
        LedgerEntry.objects.values("account_id")
        .annotate(balance=money_sum(filter=Q(bucket=Bucket.PATIENT)))
        .order_by("account_id")
    )
    found = []
    for row in rows:
        balance = summed(row["balance"])
        if balance > threshold:
            found.append((row["account_id"], balance))
    return found
