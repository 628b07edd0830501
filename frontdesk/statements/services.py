"""Writes of statements, statement runs and payment plans.

Statements: at most one per account per cycle. ``statement_create`` locks the account row (the same
lock every ledger posting takes), checks the last statement's date, and writes the snapshot, the
encrypted PDF and one audit row; the (account, cycle date) unique constraint backs it up. A run is a
background task that walks the accounts over the threshold and records its progress on the run row.

Payment plans: the total is split into instalments with explicit rounding (down to the cent) and the
last instalment absorbs the remainder, so they always sum exactly to the total.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import logging
from decimal import ROUND_DOWN, Decimal
from functools import partial
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.accounts.models import User
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.crypto import encrypt_bytes
from frontdesk.core.errors import Conflict, FieldErrors, PermissionDenied
from frontdesk.core.money import format_money, money_sum, parse_money, round_money, summed
from frontdesk.ledger.choices import Bucket
from frontdesk.ledger.models import Account, LedgerEntry
from frontdesk.ledger.services import clean_amount, clean_note
from frontdesk.statements.choices import Delivery, PlanFrequency, PlanStatus, RunStatus
from frontdesk.statements.models import Instalment, PaymentPlan, Statement, StatementRun

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "statements-system"
MSG_TOO_SOON = "This account already had a statement this cycle."
MSG_INSTALMENTS = "Choose between 2 and 60 instalments."
MSG_FREQUENCY = "Choose monthly or every two weeks."
MSG_START = "Enter the first due date (today or later)."
MSG_PLAN_EXISTS = "This account already has an active payment plan: cancel it first."
MSG_PLAN_OVER_BALANCE = "A plan cannot be larger than what the patient owes."


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def statements_system_user() -> User:
    """The service identity a command-line run writes statements as (cannot log in)."""
    user, _ = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            "role": Role.BILLING,
            "is_service_account": True,
            "first_name": "Statements",
            "last_name": "(system)",
        },
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def statement_threshold() -> Decimal:
    return parse_money(str(getattr(settings, "STATEMENT_THRESHOLD", "5.00")))


def cycle_days() -> int:
    return int(getattr(settings, "STATEMENT_CYCLE_DAYS", 30))


# --- statements -----------------------------------------------------------------------------------


def _line(entry: LedgerEntry) -> dict[str, str]:
    return {
        "date": entry.posting_date.isoformat(),
        "kind": entry.kind,
        "description": entry.description or entry.get_kind_display(),
        "bucket": entry.bucket,
        "amount": str(entry.amount),
    }


def _is_too_soon(account: Account, cycle_date: dt.date) -> bool:
    last = Statement.objects.filter(account=account).order_by("-cycle_date").first()
    return last is not None and (cycle_date - last.cycle_date).days < cycle_days()


def statement_create(
    *,
    actor: Any,
    account: Account,
    cycle_date: dt.date,
    run: StatementRun | None = None,
) -> Statement:
    """Write this cycle's statement of ``account`` (Conflict if it already had one this cycle)."""
    from frontdesk.statements.pdf import statement_pdf

    _require(actor, A.STATEMENT_RUN)
    now = timezone.now()
    with transaction.atomic():
        locked = Account.objects.select_for_update().select_related("holder").get(pk=account.pk)
        if _is_too_soon(locked, cycle_date):
            raise Conflict(MSG_TOO_SOON, code="statement_too_soon")
        last = Statement.objects.filter(account=locked).order_by("-cycle_date").first()
        entries = LedgerEntry.objects.filter(account=locked, posting_date__lte=cycle_date)
        if last is not None:
            period_start = last.period_end + dt.timedelta(days=1)
        else:
            first = entries.order_by("posting_date").values_list("posting_date", flat=True).first()
            period_start = min(first or cycle_date, cycle_date)
        period_start = min(period_start, cycle_date)
        sums = entries.aggregate(
            opening=money_sum(filter=_patient_before(period_start)),
            due=money_sum(filter=_patient()),
        )
        lines = [
            _line(entry)
            for entry in entries.filter(posting_date__gte=period_start).order_by("posted_at", "pk")
        ]
        due_date = cycle_date + dt.timedelta(days=int(getattr(settings, "STATEMENT_DUE_DAYS", 21)))
        holder = locked.holder
        email = holder.email if holder.email_consent_at is not None and holder.email else ""
        statement = Statement(
            account=locked,
            run=run,
            cycle_date=cycle_date,
            period_start=period_start,
            period_end=cycle_date,
            opening_balance=summed(sums["opening"]),
            amount_due=summed(sums["due"]),
            due_date=due_date,
            lines=lines,
            delivery=Delivery.EMAIL if email else Delivery.PRINT,
            delivered_to=email,
            created_at=now,
            created_by=actor,
        )
        pdf = statement_pdf(statement)
        statement.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        statement.pdf.save("statement.pdf", ContentFile(encrypt_bytes(pdf)), save=False)
        try:
            with transaction.atomic():
                statement.save()
        except IntegrityError:
            statement.pdf.delete(save=False)
            raise Conflict(MSG_TOO_SOON, code="statement_too_soon") from None
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.FINANCIAL,
            patient_id=holder.pk,
            object_type="statement",
            object_id=statement.pk,
            detail={
                "event": "statement_created",
                "account": locked.number,
                "amount_due": str(statement.amount_due),
                "delivery": statement.delivery,
            },
        )
        if email:
            transaction.on_commit(partial(_send_statement_email, statement.pk))
    return statement


def _patient() -> Any:
    from django.db.models import Q

    return Q(bucket=Bucket.PATIENT)


def _patient_before(date: dt.date) -> Any:
    from django.db.models import Q

    return Q(bucket=Bucket.PATIENT, posting_date__lt=date)


def _send_statement_email(statement_id: int) -> None:
    """Tell the holder (consented e-mail only) that a statement is ready: no detail beyond the sum."""
    if not apps.is_installed("frontdesk.notifications"):
        return
    from frontdesk.notifications.choices import Channel, Purpose
    from frontdesk.notifications.services import notification_send

    statement = Statement.objects.select_related("account", "account__holder").get(pk=statement_id)
    text = (
        f"Your statement for account {statement.account.number} is ready. "
        f"Amount due: {format_money(statement.amount_due)} by "
        f"{statement.due_date:%m/%d/%Y}. Please call the office or pay at your next visit."
    )
    notification_send(
        patient=statement.account.holder,
        purpose=Purpose.OTHER,
        subject="Your statement",
        text=text,
        channels=[Channel.EMAIL],
        idempotency_key=f"statement:{statement.pk}",
    )


def statement_run_start(*, actor: Any, dry_run: bool = False) -> StatementRun:
    """Record a run and enqueue it (after commit) for the worker."""
    _require(actor, A.STATEMENT_RUN)
    with transaction.atomic():
        run = StatementRun.objects.create(
            dry_run=dry_run, cycle_date=timezone.localdate(), started_by=actor
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.FINANCIAL,
            object_type="statement_run",
            object_id=run.pk,
            detail={"event": "statement_run_started", "dry_run": dry_run},
        )
        transaction.on_commit(partial(_enqueue_run, run.pk))
    return run


def _enqueue_run(run_id: int) -> None:
    from frontdesk.statements.tasks import statement_run

    statement_run.enqueue(run_id)


def statement_run_execute(*, run_id: int) -> StatementRun:
    """Do the run: a statement for every account over the threshold not yet stated this cycle.

    Idempotent: a run repeated in the same cycle creates nothing new (every account is skipped).
    A run already finished is left alone.
    """
    with transaction.atomic():
        run = StatementRun.objects.select_for_update().get(pk=run_id)
        if run.status != RunStatus.QUEUED:
            return run
        run.status, run.started_at = RunStatus.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at", "updated_at"])
    from frontdesk.statements.selectors import accounts_over_threshold

    actor = run.started_by or statements_system_user()
    try:
        due = accounts_over_threshold(threshold=statement_threshold())
        StatementRun.objects.filter(pk=run.pk).update(total=len(due))
        created = skipped = 0
        for index, (account_id, _balance) in enumerate(due, start=1):
            account = Account.objects.get(pk=account_id)
            if run.dry_run:
                if _is_too_soon(account, run.cycle_date):
                    skipped += 1
                else:
                    created += 1
            else:
                try:
                    statement_create(
                        actor=actor, account=account, cycle_date=run.cycle_date, run=run
                    )
                except Conflict:
                    skipped += 1
                else:
                    created += 1
            StatementRun.objects.filter(pk=run.pk).update(
                processed=index, created=created, skipped=skipped
            )
    except Exception as exc:
        StatementRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=type(exc).__name__[:200]
        )
        logger.exception("statement run %s failed", run.pk)
        raise
    StatementRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE, finished_at=timezone.now())
    run.refresh_from_db()
    logger.info("statement run %s done created=%s skipped=%s", run.pk, run.created, run.skipped)
    return run


# --- payment plans --------------------------------------------------------------------------------


def split_total(total: Decimal, count: int) -> list[Decimal]:
    """``count`` instalments of ``total`` rounded down to the cent; the last absorbs the remainder."""
    if count < 1:
        raise ValueError("count must be positive")
    part = round_money(total / count, ROUND_DOWN)
    return [part] * (count - 1) + [total - part * (count - 1)]


def _add_months(date: dt.date, months: int) -> dt.date:
    month = date.month - 1 + months
    year, month = date.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(date.day, calendar.monthrange(year, month)[1]))


def due_dates(start: dt.date, count: int, frequency: str) -> list[dt.date]:
    if frequency == PlanFrequency.MONTHLY:
        return [_add_months(start, i) for i in range(count)]
    return [start + dt.timedelta(days=14 * i) for i in range(count)]


def plan_create(
    *,
    actor: Any,
    account: Account,
    total: Any,
    instalment_count: Any,
    frequency: str,
    start_date: dt.date | None,
) -> PaymentPlan:
    """Split a balance into scheduled instalments (one active plan per account)."""
    _require(actor, A.STATEMENT_RUN)
    errors = FieldErrors()
    amount = clean_amount(total, "total", errors)
    try:
        count = int(instalment_count)
    except (TypeError, ValueError):
        count = 0
    if not 2 <= count <= 60:
        errors.add("instalment_count", MSG_INSTALMENTS)
    if frequency not in PlanFrequency.values:
        errors.add("frequency", MSG_FREQUENCY)
    if start_date is None or start_date < timezone.localdate():
        errors.add("start_date", MSG_START)
    if not errors and count and amount / count < Decimal("0.01"):
        errors.add("total", "Each instalment must be at least one cent.")
    errors.raise_if_any()
    assert start_date is not None
    now = timezone.now()
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        owed = summed(
            LedgerEntry.objects.filter(account=locked, bucket=Bucket.PATIENT).aggregate(
                total=money_sum()
            )["total"]
        )
        if amount > owed:
            raise Conflict(MSG_PLAN_OVER_BALANCE, code="plan_over_balance", field="total")
        if PaymentPlan.objects.filter(account=locked, status=PlanStatus.ACTIVE).exists():
            raise Conflict(MSG_PLAN_EXISTS, code="plan_exists")
        plan = PaymentPlan.objects.create(
            account=locked,
            total=amount,
            instalment_count=count,
            frequency=frequency,
            start_date=start_date,
            counts_from=now,
            created_by=actor,
        )
        Instalment.objects.bulk_create(
            Instalment(plan=plan, number=number, due_date=due, amount=part)
            for number, (due, part) in enumerate(
                zip(
                    due_dates(start_date, count, frequency), split_total(amount, count), strict=True
                ),
                start=1,
            )
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.FINANCIAL,
            patient_id=locked.holder_id,
            object_type="payment_plan",
            object_id=plan.pk,
            detail={"event": "plan_created", "total": str(amount), "instalments": count},
        )
    return plan


def plan_cancel(*, actor: Any, plan: PaymentPlan, reason: str) -> PaymentPlan:
    _require(actor, A.STATEMENT_RUN)
    errors = FieldErrors()
    reason = clean_note(reason, "reason", errors)
    if not reason:
        errors.add("reason", "Give a reason.")
    errors.raise_if_any()
    with transaction.atomic():
        current = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
        if current.status != PlanStatus.ACTIVE:
            raise Conflict("That plan is not active.", code="plan_not_active")
        current.status = PlanStatus.CANCELLED
        current.cancelled_at, current.cancelled_by, current.cancel_reason = (
            timezone.now(),
            actor,
            reason,
        )
        current.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.FINANCIAL,
            patient_id=current.account.holder_id,
            object_type="payment_plan",
            object_id=current.pk,
            detail={"event": "plan_cancelled"},
        )
    return current


def instalment_reminders_send(*, today: dt.date | None = None) -> int:
    """Remind holders of unpaid instalments due within the next few days (once per instalment).

    Sent through notifications (the patient's consented channels; quiet hours respected); the text
    names only the amount and the due date.
    """
    from frontdesk.statements.selectors import plan_schedule

    if not apps.is_installed("frontdesk.notifications"):
        return 0
    from frontdesk.notifications.choices import Purpose
    from frontdesk.notifications.services import notification_send

    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=int(getattr(settings, "PLAN_REMINDER_DAYS", 3)))
    plans = PaymentPlan.objects.filter(
        status=PlanStatus.ACTIVE,
        instalments__reminded_at__isnull=True,
        instalments__due_date__gte=today,
        instalments__due_date__lte=horizon,
    ).distinct()
    sent = 0
    for plan in plans.select_related("account__holder"):
        for state in plan_schedule(plan=plan, today=today):
            instalment = state.instalment
            if not (today <= instalment.due_date <= horizon) or instalment.reminded_at:
                continue
            if state.is_paid:
                continue
            left = instalment.amount - state.paid
            with transaction.atomic():
                claimed = Instalment.objects.filter(
                    pk=instalment.pk, reminded_at__isnull=True
                ).update(reminded_at=timezone.now())
                if not claimed:
                    continue
                notification_send(
                    patient=plan.account.holder,
                    purpose=Purpose.OTHER,
                    subject="Payment reminder",
                    text=(
                        f"Reminder: a payment of {format_money(left)} on your payment plan is due "
                        f"{instalment.due_date:%m/%d/%Y}. Thank you."
                    ),
                    idempotency_key=f"instalment:{instalment.pk}",
                )
            sent += 1
    return sent
