"""The day close of a location: refused while drawers are open, totals by tender/staff/provider,
the ledger day locked (postings into it refused end to end), reopened by a manager with a reason."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from frontdesk.ledger import services as ledger
from frontdesk.ledger.choices import ChargeCode, DayState, EntryKind, PaymentSource
from frontdesk.ledger.errors import DayClosed
from frontdesk.ledger.models import LedgerDay
from frontdesk.payments import drawer_services as ds
from frontdesk.payments.choices import DrawerStatus, TenderKind
from frontdesk.payments.drawer_models import DayClose, ReportKind
from frontdesk.payments.models import DrawerSession
from frontdesk.payments.tests.helpers import days_ago, noon, take_payment, void_payment
from tests.factories import AppointmentFactory, LocationFactory, PatientFactory, ProviderFactory

D = Decimal


@pytest.fixture
def clerk(make_user: Any, location: Any) -> Any:
    return make_user(Role.FRONT_DESK, location, first_name="Casey", last_name="Clerk")


@pytest.fixture
def biller(make_user: Any, location: Any) -> Any:
    return make_user(Role.BILLING, location, first_name="Billie", last_name="Biller")


@pytest.fixture
def manager(make_user: Any, location: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, location)


def drawer_on(
    location: Any, user: Any, date: dt.date, workstation: str = "Desk 1"
) -> DrawerSession:
    return DrawerSession.objects.create(
        location=location,
        user=user,
        workstation=workstation,
        business_date=date,
        opened_at=noon(location, date) - dt.timedelta(hours=4),
        opening_counts={"20.00": 5},
        opening_float=D("100.00"),
    )


def close_drawer(drawer: DrawerSession) -> None:
    drawer.status = DrawerStatus.CLOSED
    drawer.closed_at = timezone.now()
    drawer.save(update_fields=["status", "closed_at"])


@pytest.fixture
def yesterday(location: Any) -> dt.date:
    return days_ago(location, 1)


@pytest.fixture
def busy_day(location: Any, clerk: Any, biller: Any, yesterday: dt.date) -> dict[str, Any]:
    """Yesterday at ``location``: two drawers, payments for two providers and one on account."""
    first, second = (
        ProviderFactory(first_name="Ada", last_name="Alpha"),
        ProviderFactory(first_name="Bob", last_name="Beta"),
    )
    at = noon(location, yesterday)
    d1 = drawer_on(location, clerk, yesterday)
    d2 = drawer_on(location, biller, yesterday, "Desk 2")
    visit1 = AppointmentFactory(location=location, provider=first, starts_at=at)
    visit2 = AppointmentFactory(location=location, provider=second, starts_at=at)
    p1 = take_payment(d1, (TenderKind.CASH, "25.00"), appointment=visit1, post=True, at=at)
    take_payment(
        d1,
        (TenderKind.CARD, "40.10"),
        (TenderKind.CHECK, "9.90"),
        appointment=visit2,
        post=True,
        at=at,
    )
    take_payment(d2, (TenderKind.HSA_FSA, "15.05"), post=True, at=at)  # on account: unassigned
    voided = take_payment(d2, (TenderKind.CASH, "5.00"), appointment=visit1, post=True, at=at)
    # A payment voided the same day (its reversal dated yesterday) counts zero.
    reversal = ledger.entry_reverse(actor=biller, entry=voided.entry, reason="Wrong patient", at=at)
    voided.status, voided.voided_at, voided.voided_by = "voided", at, biller
    voided.void_reason, voided.void_entry = "Wrong patient", reversal
    voided.save()
    return {"drawers": [d1, d2], "providers": [first, second], "payment": p1, "at": at}


def test_day_close_refuses_while_drawers_are_open_or_awaiting_approval(
    busy_day: dict[str, Any], biller: Any, location: Any, yesterday: dt.date
) -> None:
    _d1, d2 = busy_day["drawers"]
    d2.status = DrawerStatus.PENDING_APPROVAL
    d2.save(update_fields=["status"])
    with pytest.raises(Conflict) as err:
        ds.day_close(actor=biller, location=location, date=yesterday)
    assert err.value.code == "drawers_not_closed"
    assert err.value.message == (
        "Close every drawer of the day first. Still open or awaiting approval: "
        "Desk 1 (Casey Clerk, open), Desk 2 (Billie Biller, counted: variance awaiting a manager)."
    )
    # The refusal rolled the lock back: the day is still open, nothing stored.
    assert LedgerDay.objects.get(location=location, date=yesterday).state == DayState.OPEN
    assert not DayClose.objects.exists()


def test_a_drawer_opened_earlier_with_payments_of_the_day_blocks_it(
    clerk: Any, biller: Any, location: Any, yesterday: dt.date
) -> None:
    old = drawer_on(location, clerk, yesterday - dt.timedelta(days=1))
    payment = take_payment(old, (TenderKind.CASH, "10.00"))
    payment.business_date = yesterday
    payment.save(update_fields=["business_date"])
    with pytest.raises(Conflict) as err:
        ds.day_close(actor=biller, location=location, date=yesterday)
    assert err.value.code == "drawers_not_closed"


def test_day_close_totals_by_tender_staff_and_provider(
    busy_day: dict[str, Any], biller: Any, clerk: Any, location: Any, yesterday: dt.date
) -> None:
    for drawer in busy_day["drawers"]:
        close_drawer(drawer)
    close = ds.day_close(actor=biller, location=location, date=yesterday)
    first, second = busy_day["providers"]
    assert close.date == yesterday
    assert close.closed_by == biller
    assert close.payment_count == 4
    assert close.net_collected == D("90.05")
    totals = close.totals
    assert totals["tenders"] == {
        "cash": {"payments": "30.00", "voids": "5.00", "refunds": "0.00", "net": "25.00"},
        "check": {"payments": "9.90", "voids": "0.00", "refunds": "0.00", "net": "9.90"},
        "card": {"payments": "40.10", "voids": "0.00", "refunds": "0.00", "net": "40.10"},
        "hsa_fsa": {"payments": "15.05", "voids": "0.00", "refunds": "0.00", "net": "15.05"},
    }
    assert totals["staff"] == [
        {"user_id": biller.pk, "name": "Billie Biller", "net": "15.05"},
        {"user_id": clerk.pk, "name": "Casey Clerk", "net": "75.00"},
    ]
    assert totals["providers"] == [
        {"provider_id": first.pk, "name": "Ada Alpha", "net": "25.00"},
        {"provider_id": second.pk, "name": "Bob Beta", "net": "50.00"},
        {"provider_id": None, "name": "unassigned", "net": "15.05"},
    ]
    assert [d["workstation"] for d in totals["drawers"]] == ["Desk 1", "Desk 2"]
    assert LedgerDay.objects.get(location=location, date=yesterday).state == DayState.CLOSED
    assert close.report is not None and close.report.kind == ReportKind.DAY_CLOSE
    with default_storage.open(close.report.file_name, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == close.report.sha256
    event = AuditEvent.objects.latest("sequence")
    assert event.detail == {
        "event": "day_closed",
        "location_id": location.pk,
        "date": yesterday.isoformat(),
    }
    with pytest.raises(Conflict) as err:
        ds.day_close(actor=biller, location=location, date=yesterday)
    assert err.value.code == "day_already_closed"


def test_a_closed_day_refuses_postings_and_corrections_go_to_today(
    busy_day: dict[str, Any], biller: Any, location: Any, yesterday: dt.date
) -> None:
    for drawer in busy_day["drawers"]:
        close_drawer(drawer)
    ds.day_close(actor=biller, location=location, date=yesterday)
    at = busy_day["at"]
    patient = PatientFactory()
    account = ledger.account_for_patient(patient=patient)
    with pytest.raises(DayClosed):
        ledger.charge_post(
            actor=biller,
            patient=patient,
            location=location,
            code=ChargeCode.COPAY,
            amount="20",
            at=at,
        )
    with pytest.raises(DayClosed):
        ledger.entry_post(
            actor=biller,
            account=account,
            posting=ledger.Posting(
                kind=EntryKind.PAYMENT,
                code=PaymentSource.PATIENT,
                amount=-D("5"),
                location=location,
            ),
            at=at,
        )
    payment = busy_day["payment"]
    with pytest.raises(DayClosed):  # a void dated in the closed day
        ledger.entry_reverse(actor=biller, entry=payment.entry, reason="Refused", at=at)
    # The correction: a reversal posted today.
    void_payment(payment, actor=biller)
    assert payment.void_entry is not None
    assert payment.void_entry.posting_date == ledger.business_date(location, timezone.now())
    assert payment.void_entry.amount == D("25.00")
    # Today is open: a drawer opens for today's business.
    today_drawer = ds.drawer_open(actor=biller, location=location, workstation="Desk 5", counts={})
    assert today_drawer.business_date == yesterday + dt.timedelta(days=1)


def test_today_closed_refuses_payments_end_to_end(clerk: Any, biller: Any, location: Any) -> None:
    today = ledger.business_date(location, timezone.now())
    drawer = ds.drawer_open(actor=clerk, location=location, workstation="Desk 1", counts={})
    take_payment(drawer, (TenderKind.CASH, "10.00"), post=True)
    ds.drawer_count_close(
        actor=clerk, drawer=drawer, cash_counts={"10.00": 1}, checks=[], card_batch_total="0"
    )
    close = ds.day_close(actor=biller, location=location, date=today)
    assert close.net_collected == D("10.00")
    with pytest.raises(DayClosed):
        take_payment(drawer, (TenderKind.CASH, "10.00"), post=True)
    with pytest.raises(DayClosed):
        ds.drawer_open(actor=clerk, location=location, workstation="Desk 1", counts={})


def test_reopen_needs_a_manager_and_a_reason_and_keeps_the_history(
    busy_day: dict[str, Any], biller: Any, manager: Any, location: Any, yesterday: dt.date
) -> None:
    for drawer in busy_day["drawers"]:
        close_drawer(drawer)
    first = ds.day_close(actor=biller, location=location, date=yesterday)
    with pytest.raises(PermissionDenied):
        ds.day_reopen(actor=biller, location=location, date=yesterday, reason="Mistake")
    with pytest.raises(ValidationFailed) as err:
        ds.day_reopen(actor=manager, location=location, date=yesterday, reason="  ")
    assert err.value.fields == {"reason": ["Give a reason."]}
    reopened = ds.day_reopen(
        actor=manager, location=location, date=yesterday, reason="Late check found in the safe"
    )
    assert reopened is not None and reopened.pk == first.pk
    assert reopened.reopened_by == manager
    assert reopened.reopen_reason == "Late check found in the safe"
    assert LedgerDay.objects.get(location=location, date=yesterday).state == DayState.OPEN
    event = AuditEvent.objects.latest("sequence")
    assert event.detail["event"] == "day_reopened"
    assert event.detail["reason"] == "Late check found in the safe"
    # Postings are accepted again, then the day closes a second time: two rows of history.
    drawer = busy_day["drawers"][0]
    take_payment(drawer, (TenderKind.CHECK, "12.00"), post=True, at=busy_day["at"])
    second = ds.day_close(actor=biller, location=location, date=yesterday)
    assert second.net_collected == D("102.05")
    assert list(
        DayClose.objects.filter(date=yesterday).order_by("pk").values_list("pk", flat=True)
    ) == [
        first.pk,
        second.pk,
    ]
    with pytest.raises(Conflict) as err:
        ds.day_reopen(
            actor=manager, location=location, date=yesterday - dt.timedelta(days=3), reason="x"
        )
    assert err.value.code == "day_not_closed"


def test_day_close_permissions_scope_and_dates(
    clerk: Any, biller: Any, make_user: Any, location: Any
) -> None:
    today = ledger.business_date(location, timezone.now())
    with pytest.raises(PermissionDenied):
        ds.day_close(actor=clerk, location=location, date=today)
    elsewhere = make_user(Role.BILLING, LocationFactory())
    with pytest.raises(NotFound):
        ds.day_close(actor=elsewhere, location=location, date=today)
    with pytest.raises(Conflict) as err:
        ds.day_close(actor=biller, location=location, date=today + dt.timedelta(days=1))
    assert err.value.code == "day_in_future"
    assert not LedgerDay.objects.filter(state=DayState.CLOSED).exists()


def test_the_day_reconciles_to_the_cent_with_its_drawers(
    clerk: Any, biller: Any, make_user: Any, location: Any
) -> None:
    from frontdesk.payments.drawer_selectors import drawer_expected
    from frontdesk.payments.tests.helpers import cash_refund

    second = make_user(Role.FRONT_DESK, location)
    d1 = ds.drawer_open(actor=clerk, location=location, workstation="Desk 1", counts={"5.00": 10})
    d2 = ds.drawer_open(actor=second, location=location, workstation="Desk 2", counts={"1.00": 30})
    take_payment(d1, (TenderKind.CASH, "20.01"), (TenderKind.CARD, "5.05"), post=True)
    take_payment(d1, (TenderKind.CHECK, "33.33"), post=True)
    take_payment(d2, (TenderKind.HSA_FSA, "0.07"), (TenderKind.CASH, "0.05"), post=True)
    void_payment(take_payment(d2, (TenderKind.CASH, "9.99"), post=True), actor=second, drawer=d2)
    cash_refund(d2, "0.03")
    drawers_net = {"cash": D("0"), "check": D("0"), "card": D("0")}
    for drawer in (d1, d2):
        expected = drawer_expected(drawer)
        for kind in drawers_net:
            drawers_net[kind] += expected.totals[kind] - (
                drawer.opening_float if kind == "cash" else 0
            )
        cash = expected.totals["cash"]
        counts = {"5.00": int(cash // 5)}
        rest = cash - 5 * (cash // 5)
        counts["1.00"] = int(rest // 1)
        counts["0.01"] = int((rest - int(rest)) * 100)
        closed = ds.drawer_count_close(
            actor=drawer.user,
            drawer=drawer,
            cash_counts=counts,
            checks=str(expected.totals["check"]),
            card_batch_total=str(expected.totals["card"]),
        )
        assert (closed.status, closed.variance) == (DrawerStatus.CLOSED, D("0.00"))
    close = ds.day_close(
        actor=biller, location=location, date=ledger.business_date(location, timezone.now())
    )
    tenders = {k: D(v["net"]) for k, v in close.totals["tenders"].items()}
    assert drawers_net == {"cash": D("20.03"), "check": D("33.33"), "card": D("5.12")}
    assert tenders["cash"] == drawers_net["cash"]
    assert tenders["check"] == drawers_net["check"]
    assert tenders["card"] + tenders["hsa_fsa"] == drawers_net["card"]
    assert close.net_collected == D("58.48")
