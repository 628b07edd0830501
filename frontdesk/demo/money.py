"""The demo practice's money: a month of copays taken at the desk and closed days, plus open balances.

Built through the real services (charges, payments with split tenders, a few voids and refunds,
drawers counted and closed, days closed), dated in the past with their ``at`` parameters, so every
number on the account pages, the drawers, the day closes and the collections report reconciles the
way a real month would. Runs after the schedule and its flow history.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, router
from django.utils import timezone

from frontdesk.accounts.models import User
from frontdesk.ledger.choices import ChargeCode
from frontdesk.ledger.services import charge_post
from frontdesk.payments.choices import DENOMINATIONS, DrawerStatus
from frontdesk.payments.models import DrawerSession, Payment
from frontdesk.payments.services import TenderInput, payment_take, payment_void, refund_issue
from frontdesk.practice.models import Location
from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.models import Appointment

MONEY_DAYS = 30  # how far back the money history goes (settings.DEMO_MONEY_DAYS overrides)
COLLECTED_AT_VISIT = 0.85  # share of copays taken at the desk (the rest stays open on the account)
SELF_PAY_VISIT_FEE = Decimal("95.00")
DEFAULT_COPAY = Decimal("25.00")
CARD_TOKENS = ("tok_visa_approve", "tok_mc_approve", "tok_amex_approve", "tok_hsa_approve")
FLOAT_COUNTS = {"20.00": 4, "10.00": 5, "5.00": 6, "1.00": 20}  # $150 opening float
# Who works the desk at each demo location (buf has no desk login: the manager covers it).
DESK_BY_LOCATION = {"alb": "frontdesk", "chi": "frontdesk.chicago", "buf": "manager"}
MANAGER_LOGIN = "manager"
BILLING_LOGIN = "billing"


@dataclass
class MoneyStats:
    charges: int = 0
    payments: int = 0
    voids: int = 0
    refunds: int = 0
    closed_days: int = 0


def money_delete() -> None:
    """Remove every money row (``--reset`` on a demo database), children first.

    On PostgreSQL the ledger refuses DELETE (append-only triggers), so its tables are truncated; that
    is the one way to clear them, and it is only ever done to the demo's synthetic data.
    """
    from django.apps import apps

    money_apps = [
        name
        for name in (
            "remittance",
            "billing",
            "eligibility",
            "clearinghouse",
            "disclosures",
            "statements",
            "payments",
            "ledger",
        )
        if apps.is_installed(f"frontdesk.{name}")
    ]
    models = [
        m
        for label in money_apps
        for m in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    if not models:
        return
    using = router.db_for_write(models[0])
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
        with connection.cursor() as cursor:
            # Deferred foreign-key checks of rows written earlier in this transaction must fire
            # first: PostgreSQL refuses to truncate a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} CASCADE")
        return
    # SQLite: no triggers; delete in an order the foreign keys accept (children first).
    pending = list(models)
    for _ in range(len(pending) + 1):
        for model in list(pending):
            referenced = any(
                f.related_model is model
                for other in pending
                if other is not model
                for f in other._meta.concrete_fields
                if f.is_relation
            )
            if not referenced:
                model._default_manager.all()._raw_delete(using)
                pending.remove(model)
        if not pending:
            break
    # Self-references (reversals, transfers) and cycles: the rest go at once.
    for model in pending:
        model._default_manager.all()._raw_delete(using)


def _copay(appointment: Any) -> Decimal:
    coverage = next((c for c in appointment.patient.coverages.all() if c.status == "active"), None)
    if coverage is None:
        return SELF_PAY_VISIT_FEE
    value = coverage.copay_primary_care or coverage.copay_specialist
    return Decimal(value) if value else DEFAULT_COPAY


def _tenders(rng: random.Random, amount: Decimal, check_number: str) -> list[TenderInput]:
    roll = rng.random()
    if roll < 0.5:
        return [TenderInput(kind="card", amount=str(amount), card_token=rng.choice(CARD_TOKENS))]
    if roll < 0.8:
        handed = (amount / 20).to_integral_value(rounding="ROUND_CEILING") * 20
        return [TenderInput(kind="cash", amount=str(amount), cash_tendered=str(handed))]
    if roll < 0.92:
        return [TenderInput(kind="check", amount=str(amount), check_number=check_number)]
    cash = (amount / 2).quantize(Decimal("1"))
    return [
        TenderInput(kind="cash", amount=str(cash)),
        TenderInput(kind="card", amount=str(amount - cash), card_token=rng.choice(CARD_TOKENS)),
    ]


def _counts_for(amount: Decimal) -> dict[str, int]:
    """A denomination count that adds up to ``amount`` (largest bills first)."""
    counts: dict[str, int] = {}
    left = amount
    for value, _label in DENOMINATIONS:
        unit = Decimal(value)
        count = int(left // unit)
        if count:
            counts[value] = count
            left -= unit * count
    return counts


def money_build(*, seed: int) -> MoneyStats:
    """Post a month of copays, take most of them at the desk, count every drawer and close each day."""
    from frontdesk.payments.drawer_selectors import drawer_expected
    from frontdesk.payments.drawer_services import day_close, drawer_count_close

    rng = random.Random(seed + 11)
    stats = MoneyStats()
    days = int(getattr(settings, "DEMO_MONEY_DAYS", MONEY_DAYS))
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[*DESK_BY_LOCATION.values(), BILLING_LOGIN])
    }
    manager = users[MANAGER_LOGIN]
    now = timezone.now()
    locations = {loc.code: loc for loc in Location.objects.filter(code__in=DESK_BY_LOCATION)}
    for code, location in sorted(locations.items()):
        desk = users[DESK_BY_LOCATION[code]]
        tz = location.tzinfo
        today = now.astimezone(tz).date()
        visits = list(
            Appointment.objects.filter(
                location=location,
                status=AppointmentStatus.FULFILLED,
                patient__is_restricted=False,  # confidential records: their money is not shown off
                starts_at__gte=now - dt.timedelta(days=days),
                starts_at__lt=now,
            )
            .select_related("patient", "provider", "visit")
            .prefetch_related("patient__coverages")
            .order_by("starts_at", "pk")
        )
        by_day: dict[dt.date, list[Any]] = {}
        for appointment in visits:
            by_day.setdefault(appointment.starts_at.astimezone(tz).date(), []).append(appointment)
        for day, appointments in sorted(by_day.items()):
            opened = dt.datetime.combine(day, dt.time(7, 45), tzinfo=tz)
            drawer = None
            if day < today:
                drawer = DrawerSession.objects.create(
                    location=location,
                    user=desk,
                    workstation="Front desk 1",
                    business_date=day,
                    opened_at=opened,
                    opening_counts=FLOAT_COUNTS,
                    opening_float=Decimal("150.00"),
                )
            taken: list[Payment] = []
            for appointment in appointments:
                arrived = getattr(getattr(appointment, "visit", None), "arrived_at", None)
                at = arrived or appointment.starts_at
                amount = _copay(appointment)
                charge_post(
                    actor=manager,
                    patient=appointment.patient,
                    location=location,
                    code=ChargeCode.COPAY,
                    amount=amount,
                    appointment=appointment,
                    service_date=day,
                    at=at,
                )
                stats.charges += 1
                if drawer is None or rng.random() > COLLECTED_AT_VISIT:
                    continue  # left open on the account (a statement will ask for it)
                payment = payment_take(
                    actor=desk,
                    location=location,
                    patient=appointment.patient,
                    appointment=appointment,
                    tenders=_tenders(rng, amount, check_number=str(1000 + stats.payments)),
                    idempotency_key=f"demo-{appointment.pk}",
                    at=at + dt.timedelta(minutes=1),
                )
                taken.append(payment)
                stats.payments += 1
            if drawer is None:
                continue
            expected = drawer_expected(drawer).totals
            short = Decimal("0.00")
            if desk != manager and rng.random() < 0.08:  # a manager approves another's variance
                short = Decimal(rng.choice(["1.00", "0.25", "10.00"]))
            drawer = drawer_count_close(
                actor=desk,
                drawer=drawer,
                cash_counts=_counts_for(expected["cash"] - short),
                checks=[
                    (t.check_number, str(t.amount))
                    for p in taken
                    for t in p.tenders.all()
                    if t.kind == "check" and p.status == "completed"
                ],
                card_batch_total=str(expected["card"]),
                variance_reason="Counted short; recounted twice" if short > Decimal("5") else "",
            )
            if drawer.status == DrawerStatus.PENDING_APPROVAL:
                from frontdesk.payments.drawer_services import drawer_approve

                drawer_approve(actor=manager, drawer=drawer, note="Recount confirmed the shortage")
            day_close(actor=manager, location=location, date=day)
            stats.closed_days += 1
        _today(rng, location, desk, manager, stats)
    return stats


def _today(
    rng: random.Random, location: Location, desk: User, biller: User, stats: MoneyStats
) -> None:
    """Today's drawer is open with the morning's copays in it, one taken twice and voided, and a
    refund of an old overpayment: the desk can count and close it, and a manager close the day."""
    from frontdesk.ledger.services import account_for_patient
    from frontdesk.payments.drawer_services import drawer_open

    if desk.username == MANAGER_LOGIN:
        return  # no desk login here: nobody's drawer is open today
    drawer_open(actor=desk, location=location, workstation="Front desk 1", counts=FLOAT_COUNTS)
    from frontdesk.ledger.selectors import patient_balance_due

    recent = (
        Payment.objects.filter(location=location, drawer__status=DrawerStatus.CLOSED)
        .exclude(patient=None)
        .select_related("patient")
        .order_by("-taken_at")[:20]
    )
    # Someone who owes nothing: their prepayment stays credit on the account until it is refunded.
    patient = next(
        (p.patient for p in recent if patient_balance_due(patient=p.patient) == Decimal("0.00")),
        None,
    )
    if patient is None:
        return
    mistake = payment_take(
        actor=desk,
        location=location,
        patient=patient,
        tenders=[TenderInput(kind="cash", amount="20.00")],
        idempotency_key=f"demo-today-dup-{location.pk}",
    )
    payment_void(actor=desk, payment=mistake, reason="Taken twice")
    prepay = payment_take(
        actor=desk,
        location=location,
        patient=patient,
        tenders=[TenderInput(kind="cash", amount="40.00")],
        idempotency_key=f"demo-today-prepay-{location.pk}",
        memo="Prepayment for a procedure",
    )
    refund_issue(
        actor=biller,
        account=account_for_patient(patient=patient),
        location=location,
        amount="40.00",
        method="check",
        check_number=str(rng.randint(5000, 5999)),
        reason="Procedure cancelled",
        payment=prepay,
        idempotency_key=f"demo-today-refund-{location.pk}",
    )
    stats.payments += 2
    stats.voids += 1
    stats.refunds += 1
