"""Cash drawers and the day close: open with a counted float, count and close, approve a variance,
close and reopen a location's business day.

Expected totals per tender come from the drawer's money (see ``drawer_selectors.drawer_expected``):
the opening float, the tenders of its completed payments (cash net of change), minus payments voided
into it and cash refunds paid out of it. A count whose variance on any tender (or in total) is over
``FRONTDESK_DRAWER_VARIANCE_LIMIT`` needs a reason and a manager's approval (not the person who
counted); otherwise the drawer closes at once. A closed drawer gets its close report and deposit slip,
stored once with their SHA-256.

The day close of a location locks the ledger day first (so no posting can slip in while it runs; a
refusal rolls the lock back), refuses while any drawer of the day is open or awaiting approval, and
stores the day's totals (by tender, staff and provider) with a PDF report.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied
from frontdesk.core.money import ZERO, MoneyError, format_money, parse_money
from frontdesk.ledger.choices import DayState
from frontdesk.ledger.errors import DayClosed
from frontdesk.ledger.models import LedgerDay
from frontdesk.ledger.services import (
    business_date,
    clean_amount,
    clean_note,
    ledger_day_lock,
    ledger_day_reopen,
)
from frontdesk.payments import pdf
from frontdesk.payments.choices import DENOMINATIONS, DrawerStatus, PaymentStatus
from frontdesk.payments.drawer_models import DayClose, DrawerClose, ReportKind
from frontdesk.payments.drawer_selectors import (
    DRAWER_TENDERS,
    day_totals,
    drawer_expected,
    drawers_blocking_day,
)
from frontdesk.payments.models import DrawerSession, Payment
from frontdesk.practice.models import Location

DENOMINATION_VALUES = tuple(value for value, _label in DENOMINATIONS)
MAX_COUNT = 100_000

MSG_ALREADY_OPEN = (
    "You already have an open drawer at this location ({workstation}). Close it first."
)
MSG_WORKSTATION_BUSY = "Another drawer is open at workstation {workstation}. Pick another one."
MSG_WORKSTATION = "Name the workstation (the desk this drawer sits at)."
MSG_NOT_OPEN = "This drawer is not open: it has already been counted."
MSG_NOT_PENDING = "This drawer is not waiting for an approval."
MSG_NOT_YOURS = "Only the drawer's owner or a manager can count it."
MSG_SELF_APPROVE = "You counted this drawer: another manager has to approve its variance."
MSG_VARIANCE_REASON = "The variance of {variance} is over the {limit} limit: give the reason."
MSG_NOTE = "Write an approval note."
MSG_DAY_FUTURE = "A day can only be closed once it has started."
MSG_DRAWERS_OPEN = (
    "Close every drawer of the day first. Still open or awaiting approval: {drawers}."
)


def _require(actor: Any, action: str) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.can(action):
        raise PermissionDenied()


def _location_in_scope(actor: Any, location: Location, action: str) -> None:
    if not Location.objects.restrict(actor, action).filter(pk=location.pk).exists():
        raise NotFound()


def variance_limit() -> Decimal:
    """The largest variance (either way) a drawer may close with without a manager."""
    return parse_money(str(getattr(settings, "FRONTDESK_DRAWER_VARIANCE_LIMIT", "5.00")))


def clean_counts(counts: Any, field: str, errors: FieldErrors) -> tuple[dict[str, int], Decimal]:
    """Validate a denomination count ``{"20.00": 3, ...}``; return the clean counts and their total."""
    clean: dict[str, int] = {}
    total = ZERO
    if not isinstance(counts, dict):
        errors.add(field, "Count the cash by denomination.")
        return clean, total
    known = {}
    for value in DENOMINATION_VALUES:
        known[value] = value
    for key, raw in counts.items():
        try:
            denomination = f"{parse_money(str(key)):.2f}"
        except MoneyError:
            denomination = ""
        if denomination not in known:
            errors.add(field, f"{key} is not a denomination this drawer counts.")
            continue
        if raw in (None, ""):
            continue
        if isinstance(raw, bool) or not (
            isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit())
        ):
            errors.add(field, f"Count of {denomination}: enter a whole number.")
            continue
        number = int(raw)
        if number < 0 or number > MAX_COUNT:
            errors.add(field, f"Count of {denomination}: enter a number from 0 to {MAX_COUNT}.")
            continue
        if number:
            clean[denomination] = clean.get(denomination, 0) + number
    for denomination, number in clean.items():
        total += Decimal(denomination) * number
    ordered = {value: clean[value] for value in DENOMINATION_VALUES if value in clean}
    return ordered, total.quantize(Decimal("0.01"))


def clean_total(value: Any, field: str, errors: FieldErrors, what: str) -> Decimal:
    """A counted total: money, zero allowed, never negative (blank is zero)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ZERO
    try:
        amount = parse_money(value)
    except MoneyError as exc:
        errors.add(field, str(exc))
        return ZERO
    if amount < 0:
        errors.add(field, f"The {what} cannot be negative.")
    return amount


def clean_checks(checks: Any, errors: FieldErrors) -> tuple[list[dict[str, str]], Decimal]:
    """A list of (number, amount) pairs, or one total; return the listed checks and their total."""
    if checks is None or checks == "":
        return [], ZERO
    if not isinstance(checks, (list, tuple)):
        return [], clean_total(checks, "checks", errors, "checks total")
    listed: list[dict[str, str]] = []
    total = ZERO
    seen: set[str] = set()
    for index, item in enumerate(checks, start=1):
        try:
            number, amount = item
        except (TypeError, ValueError):
            errors.add("checks", f"Check {index}: give its number and amount.")
            continue
        number = clean_note(str(number or ""), "checks", errors, limit=20)
        if not number:
            errors.add("checks", f"Check {index}: give the check number.")
        elif number in seen:
            errors.add("checks", f"Check {number} is listed twice.")
        seen.add(number)
        value = clean_amount(amount, "checks", errors)
        listed.append({"number": number, "amount": f"{value:.2f}"})
        total += value
    return listed, total


def _today(location: Location) -> dt.date:
    return business_date(location, timezone.now())


def drawer_open(
    *, actor: Any, location: Location, workstation: str, counts: dict[str, Any]
) -> DrawerSession:
    """Open the actor's drawer at a workstation with an opening float counted by denomination."""
    _require(actor, A.DRAWER_OPERATE)
    _location_in_scope(actor, location, A.DRAWER_OPERATE)
    errors = FieldErrors()
    workstation = clean_note(workstation, "workstation", errors, limit=60)
    if not workstation:
        errors.add("workstation", MSG_WORKSTATION)
    clean, total = clean_counts(counts, "counts", errors)
    errors.raise_if_any()
    now = timezone.now()
    today = business_date(location, now)
    if LedgerDay.objects.filter(location=location, date=today, state=DayState.CLOSED).exists():
        raise DayClosed()
    with transaction.atomic():
        mine = DrawerSession.objects.filter(
            location=location, user=actor, status=DrawerStatus.OPEN
        ).first()
        if mine is not None:
            raise Conflict(
                MSG_ALREADY_OPEN.format(workstation=mine.workstation), code="drawer_already_open"
            )
        if DrawerSession.objects.filter(
            location=location, workstation__iexact=workstation, status=DrawerStatus.OPEN
        ).exists():
            raise Conflict(
                MSG_WORKSTATION_BUSY.format(workstation=workstation),
                code="workstation_in_use",
                field="workstation",
            )
        try:
            with transaction.atomic():
                drawer = DrawerSession.objects.create(
                    location=location,
                    user=actor,
                    workstation=workstation,
                    business_date=today,
                    status=DrawerStatus.OPEN,
                    opened_at=now,
                    opening_counts=clean,
                    opening_float=total,
                )
        except IntegrityError:  # opened concurrently: the partial unique constraints decided
            raise Conflict(
                "A drawer was opened at the same time for you or this workstation.",
                code="drawer_already_open",
            ) from None
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.FINANCIAL,
            object_type="drawer_session",
            object_id=drawer.pk,
            detail={
                "event": "drawer_opened",
                "location_id": location.pk,
                "workstation": workstation,
                "opening_float": str(total),
            },
        )
    return drawer


def _locked(drawer: DrawerSession) -> DrawerSession:
    return DrawerSession.objects.select_for_update().get(pk=drawer.pk)


def _finish(actor: Any, drawer: DrawerSession, close: DrawerClose) -> None:
    """Store the immutable close report and deposit slip of a drawer that has just closed."""
    close.report = pdf.store_report(
        actor=actor,
        kind=ReportKind.DRAWER_CLOSE,
        location=drawer.location,
        data=pdf.drawer_close_pdf(drawer=drawer, close=close),
    )
    close.deposit_slip = pdf.store_report(
        actor=actor,
        kind=ReportKind.DEPOSIT_SLIP,
        location=drawer.location,
        data=pdf.deposit_slip_pdf(drawer=drawer, close=close),
    )
    close.save(update_fields=["report", "deposit_slip"])


MSG_PENDING_CARDS = (
    "A card payment in this drawer is still waiting for the processor's answer, so the card batch "
    "cannot be counted yet. Try again in a few minutes (FrontDesk asks the processor every 5 minutes)."
)


def _settle_pending_cards(drawer: DrawerSession) -> None:
    """Ask the processor about the drawer's pending card payments before counting (outside any
    transaction: the answer is recorded by the payment service's own)."""
    from frontdesk.payments.services import payment_reconcile_one

    for payment in Payment.objects.filter(drawer=drawer, status=PaymentStatus.PENDING):
        payment_reconcile_one(payment=payment)


def drawer_count_close(
    *,
    actor: Any,
    drawer: DrawerSession,
    cash_counts: dict[str, Any],
    checks: Any,
    card_batch_total: Any,
    variance_reason: str = "",
) -> DrawerSession:
    """Count a drawer: cash by denomination, the checks, the card batch total. Within the variance
    limit the drawer closes; over it, a reason is required and the drawer waits for a manager."""
    _require(actor, A.DRAWER_OPERATE)
    _location_in_scope(actor, drawer.location, A.DRAWER_OPERATE)
    if drawer.user_id != actor.pk and not actor.can(A.DRAWER_APPROVE):
        raise PermissionDenied(MSG_NOT_YOURS)
    errors = FieldErrors()
    clean, cash_total = clean_counts(cash_counts, "cash_counts", errors)
    listed, checks_total = clean_checks(checks, errors)
    card_total = clean_total(card_batch_total, "card_batch_total", errors, "card batch total")
    reason = clean_note(variance_reason, "variance_reason", errors, limit=300)
    errors.raise_if_any()
    _settle_pending_cards(drawer)
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(drawer)
        if locked.status != DrawerStatus.OPEN:
            raise Conflict(MSG_NOT_OPEN, code="drawer_not_open")
        if Payment.objects.filter(drawer=locked, status=PaymentStatus.PENDING).exists():
            raise Conflict(MSG_PENDING_CARDS, code="drawer_pending_payments")
        expected = drawer_expected(locked)
        counted = {"cash": cash_total, "check": checks_total, "card": card_total}
        tenders = {
            kind: {
                "expected": f"{expected.totals[kind]:.2f}",
                "counted": f"{counted[kind]:.2f}",
                "variance": f"{counted[kind] - expected.totals[kind]:.2f}",
            }
            for kind in DRAWER_TENDERS
        }
        variance = sum((counted[k] - expected.totals[k] for k in DRAWER_TENDERS), ZERO)
        limit = variance_limit()
        worst = max(
            [abs(variance)] + [abs(counted[k] - expected.totals[k]) for k in DRAWER_TENDERS]
        )
        over = worst > limit
        if over and not reason:
            errors.add(
                "variance_reason",
                MSG_VARIANCE_REASON.format(variance=format_money(worst), limit=format_money(limit)),
            )
            errors.raise_if_any()
        locked.counted_at = now
        locked.closing_counts = clean
        locked.counted_cash = cash_total
        locked.counted_checks = checks_total
        locked.card_batch_total = card_total
        locked.expected = {k: f"{expected.totals[k]:.2f}" for k in DRAWER_TENDERS}
        locked.variance = variance
        locked.variance_reason = reason
        locked.status = DrawerStatus.PENDING_APPROVAL if over else DrawerStatus.CLOSED
        locked.closed_at = None if over else now
        locked.save(
            update_fields=[
                "counted_at",
                "closing_counts",
                "counted_cash",
                "counted_checks",
                "card_batch_total",
                "expected",
                "variance",
                "variance_reason",
                "status",
                "closed_at",
                "updated_at",
            ]
        )
        close = DrawerClose.objects.create(
            drawer=locked, counted_by=actor, counted_at=now, checks=listed, tenders=tenders
        )
        if not over:
            _finish(actor, locked, close)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.FINANCIAL,
            object_type="drawer_session",
            object_id=locked.pk,
            detail={
                "event": "drawer_counted",
                "status": locked.status,
                "variance": str(variance),
                "over_limit": over,
            },
        )
    return locked


def drawer_approve(*, actor: Any, drawer: DrawerSession, note: str) -> DrawerSession:
    """A manager (not the person who counted) approves a variance over the limit; the drawer closes."""
    _require(actor, A.DRAWER_APPROVE)
    _location_in_scope(actor, drawer.location, A.DRAWER_APPROVE)
    errors = FieldErrors()
    note = clean_note(note, "note", errors, limit=300)
    if not note:
        errors.add("note", MSG_NOTE)
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic():
        locked = _locked(drawer)
        if locked.status != DrawerStatus.PENDING_APPROVAL:
            raise Conflict(MSG_NOT_PENDING, code="drawer_not_pending")
        close = DrawerClose.objects.get(drawer=locked)
        if actor.pk in (close.counted_by_id, locked.user_id):
            raise PermissionDenied(MSG_SELF_APPROVE, code="self_approval")
        locked.status = DrawerStatus.CLOSED
        locked.approved_by = actor
        locked.approved_at = now
        locked.closed_at = now
        locked.save(
            update_fields=["status", "approved_by", "approved_at", "closed_at", "updated_at"]
        )
        close.approval_note = note
        close.save(update_fields=["approval_note"])
        _finish(actor, locked, close)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.FINANCIAL,
            object_type="drawer_session",
            object_id=locked.pk,
            detail={"event": "drawer_variance_approved", "variance": str(locked.variance)},
        )
    return locked


def day_close(*, actor: Any, location: Location, date: dt.date) -> DayClose:
    """Close a location's business day: every drawer closed, totals stored, the ledger day locked."""
    _require(actor, A.DAY_CLOSE)
    _location_in_scope(actor, location, A.DAY_CLOSE)
    if date > _today(location):
        raise Conflict(MSG_DAY_FUTURE, code="day_in_future")
    with transaction.atomic():
        # Lock first: postings into the day wait on the day row, then find it closed. A refusal
        # below rolls the lock back.
        ledger_day_lock(actor=actor, location=location, date=date)
        blocking = drawers_blocking_day(location=location, date=date)
        if blocking:
            names = ", ".join(
                f"{d.workstation} ({d.user.get_full_name() or d.user.get_username()}, "
                f"{d.get_status_display().lower()})"
                for d in blocking
            )
            raise Conflict(MSG_DRAWERS_OPEN.format(drawers=names), code="drawers_not_closed")
        totals = day_totals(location=location, date=date)
        close = DayClose.objects.create(
            location=location,
            date=date,
            closed_at=timezone.now(),
            closed_by=actor,
            totals=totals,
            net_collected=Decimal(totals["net"]),
            payment_count=totals["payment_count"],
        )
        close.report = pdf.store_report(
            actor=actor,
            kind=ReportKind.DAY_CLOSE,
            location=location,
            data=pdf.day_close_pdf(close=close),
        )
        close.save(update_fields=["report"])
    return close


def day_reopen(*, actor: Any, location: Location, date: dt.date, reason: str) -> DayClose | None:
    """Reopen a closed day (manager, reason; the ledger audits it). The close row records the reopen."""
    _require(actor, A.DAY_REOPEN)
    _location_in_scope(actor, location, A.DAY_REOPEN)
    with transaction.atomic():
        ledger_day_reopen(actor=actor, location=location, date=date, reason=reason)
        close = (
            DayClose.objects.select_for_update()
            .filter(location=location, date=date, reopened_at__isnull=True)
            .first()
        )
        if close is not None:
            close.reopened_at = timezone.now()
            close.reopened_by = actor
            close.reopen_reason = reason.strip()[:200]
            close.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
    return close
