"""Payment plans: exact splits, paid computed from the ledger, reminders once, the screens."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.accounts.choices import Role
from frontdesk.core.errors import Conflict, ValidationFailed
from frontdesk.ledger import services as ledger
from frontdesk.ledger.choices import ChargeCode
from frontdesk.notifications.models import Message
from frontdesk.statements import selectors, services
from frontdesk.statements.choices import PlanFrequency, PlanStatus
from frontdesk.statements.models import Instalment, PaymentPlan
from frontdesk.statements.tests.helpers import take_payment, void_payment
from tests.factories import PatientFactory

D = Decimal


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings: Any) -> None:
    settings.NOTIFY_QUIET_HOURS = ""


@pytest.fixture
def biller(make_user: Any, location: Any) -> Any:
    return make_user(Role.BILLING, location)


@pytest.fixture
def account(biller: Any, location: Any) -> Any:
    holder = PatientFactory(email="planner@example.com", email_consent_at=dt.date(2026, 1, 1))
    return ledger.charge_post(
        actor=biller, patient=holder, location=location, code=ChargeCode.VISIT, amount="100"
    ).account


@given(
    total=st.decimals(min_value=D("0.02"), max_value=D("99999.99"), places=2),
    count=st.integers(min_value=2, max_value=60),
)
def test_a_split_always_sums_to_the_total_and_only_the_last_differs(
    total: Decimal, count: int
) -> None:
    if total / count < D("0.01"):
        return
    parts = services.split_total(total, count)
    assert sum(parts) == total
    assert len(parts) == count
    assert len(set(parts[:-1])) == 1
    assert D("0") <= parts[-1] - parts[0] < D("0.01") * count


def test_split_examples() -> None:
    assert services.split_total(D("100.00"), 3) == [D("33.33"), D("33.33"), D("33.34")]
    assert services.split_total(D("10.00"), 4) == [D("2.50")] * 4


def test_monthly_due_dates_keep_the_day_or_the_month_end() -> None:
    assert services.due_dates(dt.date(2027, 1, 31), 3, PlanFrequency.MONTHLY) == [
        dt.date(2027, 1, 31),
        dt.date(2027, 2, 28),
        dt.date(2027, 3, 31),
    ]
    assert services.due_dates(dt.date(2027, 1, 1), 2, PlanFrequency.BIWEEKLY) == [
        dt.date(2027, 1, 1),
        dt.date(2027, 1, 15),
    ]


def test_instalments_are_paid_by_payments_and_unpaid_by_a_void(
    biller: Any, account: Any, location: Any
) -> None:
    start = timezone.localdate() + dt.timedelta(days=1)
    plan = services.plan_create(
        actor=biller,
        account=account,
        total="100",
        instalment_count=3,
        frequency=PlanFrequency.MONTHLY,
        start_date=start,
    )
    assert list(plan.instalments.values_list("amount", flat=True)) == [
        D("33.33"),
        D("33.33"),
        D("33.34"),
    ]
    payment = take_payment(biller, account, location, "40.00")
    states = selectors.plan_schedule(plan=plan)
    assert [(s.paid, s.is_paid) for s in states] == [
        (D("33.33"), True),
        (D("6.67"), False),
        (D("0.00"), False),
    ]
    void_payment(biller, payment)
    assert [s.paid for s in selectors.plan_schedule(plan=plan)] == [D("0.00")] * 3
    later = selectors.plan_schedule(plan=plan, today=start + dt.timedelta(days=1))
    assert [s.is_overdue for s in later] == [True, False, False]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"total": "0"}, {"total": ["Enter an amount greater than zero."]}),
        ({"instalment_count": 1}, {"instalment_count": [services.MSG_INSTALMENTS]}),
        ({"frequency": "weekly"}, {"frequency": [services.MSG_FREQUENCY]}),
        ({"start_date": dt.date(2020, 1, 1)}, {"start_date": [services.MSG_START]}),
    ],
)
def test_bad_plans_are_refused(biller: Any, account: Any, fields: Any, errors: Any) -> None:
    good = {
        "total": "90",
        "instalment_count": 3,
        "frequency": PlanFrequency.MONTHLY,
        "start_date": timezone.localdate(),
    }
    with pytest.raises(ValidationFailed) as caught:
        services.plan_create(actor=biller, account=account, **{**good, **fields})
    assert caught.value.fields == errors
    assert PaymentPlan.objects.count() == 0


def test_a_plan_is_no_larger_than_the_balance_and_one_is_active_at_a_time(
    biller: Any, account: Any
) -> None:
    args = {
        "instalment_count": 2,
        "frequency": PlanFrequency.BIWEEKLY,
        "start_date": timezone.localdate(),
    }
    with pytest.raises(Conflict) as caught:
        services.plan_create(actor=biller, account=account, total="100.01", **args)
    assert caught.value.code == "plan_over_balance"
    plan = services.plan_create(actor=biller, account=account, total="100", **args)
    with pytest.raises(Conflict) as caught:
        services.plan_create(actor=biller, account=account, total="50", **args)
    assert caught.value.code == "plan_exists"
    services.plan_cancel(actor=biller, plan=plan, reason="Paid in full instead")
    assert PaymentPlan.objects.get(pk=plan.pk).status == PlanStatus.CANCELLED
    services.plan_create(actor=biller, account=account, total="50", **args)


def test_reminders_go_once_a_few_days_before_an_unpaid_instalment(
    biller: Any, account: Any, location: Any
) -> None:
    today = timezone.localdate()
    plan = services.plan_create(
        actor=biller,
        account=account,
        total="60",
        instalment_count=2,
        frequency=PlanFrequency.MONTHLY,
        start_date=today + dt.timedelta(days=2),
    )
    assert services.instalment_reminders_send(today=today) == 1
    assert services.instalment_reminders_send(today=today) == 0
    message = Message.objects.get()
    assert message.to_address == "planner@example.com"
    assert message.body == (
        "Reminder: a payment of $30.00 on your payment plan is due "
        f"{today + dt.timedelta(days=2):%m/%d/%Y}. Thank you."
    )
    first = Instalment.objects.get(plan=plan, number=1)
    assert first.reminded_at is not None
    # A paid instalment gets no reminder.
    take_payment(biller, account, location, "60.00")
    due_second = Instalment.objects.get(plan=plan, number=2).due_date
    assert services.instalment_reminders_send(today=due_second - dt.timedelta(days=1)) == 0


def test_the_plan_screens(biller: Any, account: Any, make_user: Any, location: Any) -> None:
    client = Client()
    client.force_login(biller)
    response = client.post(
        f"/accounts/{account.pk}/plan/",
        {
            "total": "100",
            "instalment_count": "4",
            "frequency": "monthly",
            "start_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 302
    plan = PaymentPlan.objects.get()
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    assert page.count('data-instalment="') == 4
    desk = Client()
    desk.force_login(make_user(Role.FRONT_DESK, location))
    assert desk.post(f"/statements/plans/{plan.pk}/cancel/", {"reason": "x"}).status_code == 403
    response = client.post(f"/statements/plans/{plan.pk}/cancel/", {"reason": "Agreed otherwise"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.cancel_reason) == (PlanStatus.CANCELLED, "Agreed otherwise")
