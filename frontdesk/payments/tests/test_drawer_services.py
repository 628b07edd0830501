"""Cash drawers: open with a counted float, expected totals, count and close, variance approval."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.storage import default_storage
from stdnum import luhn

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from frontdesk.ledger import services as ledger
from frontdesk.ledger.errors import DayClosed
from frontdesk.payments import drawer_services as ds
from frontdesk.payments.choices import DrawerStatus, TenderKind
from frontdesk.payments.drawer_models import DrawerClose, ReportKind
from frontdesk.payments.drawer_selectors import drawer_expected, has_void_drawer, open_drawer_for
from frontdesk.payments.models import DrawerSession
from frontdesk.payments.pdf import MSG_TAMPERED, report_read
from frontdesk.payments.tests.helpers import cash_refund, take_payment, void_payment
from tests.factories import LocationFactory

D = Decimal
# Built at run time so the repository holds no card number (tests/test_security_card_data.py).
PAN = "4" + "1" * 14 + luhn.calc_check_digit("4" + "1" * 14)
FLOAT = {"20.00": 5, "1.00": 40, "0.25": 40}  # 100 + 40 + 10 = 150.00


@pytest.fixture
def clerk(make_user: Any, location: Any) -> Any:
    return make_user(Role.FRONT_DESK, location)


@pytest.fixture
def manager(make_user: Any, location: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, location)


@pytest.fixture
def drawer(clerk: Any, location: Any) -> DrawerSession:
    return ds.drawer_open(actor=clerk, location=location, workstation="Desk 1", counts=FLOAT)


def test_open_counts_the_float_by_denomination_and_is_audited(clerk: Any, location: Any) -> None:
    before = AuditEvent.objects.count()
    drawer = ds.drawer_open(
        actor=clerk,
        location=location,
        workstation=" Desk 1 ",
        counts={"0.25": "40", "20.00": 5, "1": 40, "5.00": 0},
    )
    assert drawer.status == DrawerStatus.OPEN
    assert drawer.workstation == "Desk 1"
    assert drawer.opening_counts == {"20.00": 5, "1.00": 40, "0.25": 40}
    assert drawer.opening_float == D("150.00")
    assert drawer.business_date == ledger.business_date(location, drawer.opened_at)
    assert open_drawer_for(user=clerk, location=location) == drawer
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("sequence")
    assert event.detail == {
        "event": "drawer_opened",
        "location_id": location.pk,
        "workstation": "Desk 1",
        "opening_float": "150.00",
    }


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"3.00": 1}, "3.00 is not a denomination this drawer counts."),
        ({"20.00": -1}, "Count of 20.00: enter a number from 0 to 100000."),
        ({"20.00": "2.5"}, "Count of 20.00: enter a whole number."),
        ({"20.00": 1.0}, "Count of 20.00: enter a whole number."),
        ({"20.00": 100_001}, "Count of 20.00: enter a number from 0 to 100000."),
        ([], "Count the cash by denomination."),
    ],
)
def test_open_refuses_bad_counts_and_writes_nothing(
    clerk: Any, location: Any, counts: Any, message: str
) -> None:
    with pytest.raises(ValidationFailed) as err:
        ds.drawer_open(actor=clerk, location=location, workstation="Desk 1", counts=counts)
    assert err.value.fields == {"counts": [message]}
    assert not DrawerSession.objects.exists()


def test_open_requires_a_workstation_without_card_numbers(clerk: Any, location: Any) -> None:
    with pytest.raises(ValidationFailed) as err:
        ds.drawer_open(actor=clerk, location=location, workstation="  ", counts={})
    assert err.value.fields == {"workstation": [ds.MSG_WORKSTATION]}
    with pytest.raises(ValidationFailed) as err:
        ds.drawer_open(actor=clerk, location=location, workstation=f"card {PAN}", counts={})
    assert err.value.fields == {"workstation": [ledger.MSG_CARD_NUMBER]}


def test_one_open_drawer_per_person_and_per_workstation(
    drawer: DrawerSession, clerk: Any, make_user: Any, location: Any
) -> None:
    with pytest.raises(Conflict) as err:
        ds.drawer_open(actor=clerk, location=location, workstation="Desk 2", counts={})
    assert err.value.code == "drawer_already_open"
    assert err.value.message == (
        "You already have an open drawer at this location (Desk 1). Close it first."
    )
    colleague = make_user(Role.FRONT_DESK, location)
    with pytest.raises(Conflict) as err:
        ds.drawer_open(actor=colleague, location=location, workstation="desk 1", counts={})
    assert err.value.code == "workstation_in_use"
    other = ds.drawer_open(actor=colleague, location=location, workstation="Desk 2", counts={})
    assert other.opening_float == D("0.00")
    assert DrawerSession.objects.filter(status=DrawerStatus.OPEN).count() == 2


def test_open_is_scoped_and_permissioned(make_user: Any, location: Any) -> None:
    elsewhere = make_user(Role.FRONT_DESK, LocationFactory())
    with pytest.raises(NotFound):
        ds.drawer_open(actor=elsewhere, location=location, workstation="Desk 1", counts={})
    nurse = make_user(Role.NURSE, location)
    with pytest.raises(PermissionDenied):
        ds.drawer_open(actor=nurse, location=location, workstation="Desk 1", counts={})
    assert not DrawerSession.objects.exists()


def test_open_refuses_a_closed_day(clerk: Any, manager: Any, location: Any) -> None:
    today = ledger.business_date(location, ledger.timezone.now())
    ledger.ledger_day_lock(actor=manager, location=location, date=today)
    with pytest.raises(DayClosed):
        ds.drawer_open(actor=clerk, location=location, workstation="Desk 1", counts={})


def test_expected_totals_per_tender(drawer: DrawerSession, clerk: Any) -> None:
    take_payment(drawer, (TenderKind.CASH, "25.00"), cash_tendered="40.00")  # 15.00 change
    take_payment(drawer, (TenderKind.CASH, "10.05"), (TenderKind.CHECK, "30.00"))
    take_payment(drawer, (TenderKind.CARD, "45.10"), (TenderKind.HSA_FSA, "20.01"))
    take_payment(drawer, (TenderKind.CREDIT, "12.00"))  # moves existing credit: no money
    voided = take_payment(drawer, (TenderKind.CASH, "7.00"), post=True)
    void_payment(voided, actor=clerk, drawer=drawer)  # voided in its own drawer: counts zero
    cash_refund(drawer, "3.50")
    expected = drawer_expected(drawer)
    assert expected.totals == {
        "cash": D("150.00") + D("25.00") + D("10.05") - D("3.50"),
        "check": D("30.00"),
        "card": D("65.11"),
    }
    assert expected.refunds["cash"] == D("3.50")
    assert expected.payment_count == 4


@pytest.mark.skipif(not has_void_drawer(), reason="Payment.void_drawer (pay, 0002_pay_void_drawer)")
def test_a_void_of_an_earlier_payment_is_a_negative_in_todays_drawer(
    drawer: DrawerSession, clerk: Any, location: Any
) -> None:
    earlier = DrawerSession.objects.create(
        location=location,
        user=clerk,
        workstation="Desk 9",
        business_date=drawer.business_date,
        status=DrawerStatus.CLOSED,
        opened_at=drawer.opened_at,
        opening_float=D("0.00"),
        closed_at=drawer.opened_at,
    )
    payment = take_payment(earlier, (TenderKind.CASH, "40.00"))
    void_payment(payment, actor=clerk, drawer=drawer)
    assert drawer_expected(earlier).totals["cash"] == D("40.00")
    assert drawer_expected(drawer).totals["cash"] == D("110.00")


def count(drawer: DrawerSession, actor: Any, **overrides: Any) -> DrawerSession:
    args: dict[str, Any] = {
        "cash_counts": {"20.00": 8, "1.00": 50, "0.25": 40},  # 160 + 50 + 10 = 220.00
        "checks": [("1042", "30.00"), ("1043", "12.50")],
        "card_batch_total": "65.11",
        "variance_reason": "",
    }
    args.update(overrides)
    return ds.drawer_count_close(actor=actor, drawer=drawer, **args)


def test_count_within_the_limit_closes_with_report_and_deposit_slip(
    drawer: DrawerSession, clerk: Any
) -> None:
    take_payment(drawer, (TenderKind.CASH, "70.00"), (TenderKind.CHECK, "42.50"))
    take_payment(drawer, (TenderKind.CARD, "65.11"))
    before = AuditEvent.objects.count()
    closed = count(drawer, clerk, cash_counts={"20.00": 10, "1.00": 20, "0.05": 1})  # 220.05
    assert closed.status == DrawerStatus.CLOSED
    assert closed.closed_at is not None
    assert closed.expected == {"cash": "220.00", "check": "42.50", "card": "65.11"}
    assert closed.counted_cash == D("220.05")
    assert closed.counted_checks == D("42.50")
    assert closed.card_batch_total == D("65.11")
    assert closed.variance == D("0.05")
    assert closed.closing_counts == {"20.00": 10, "1.00": 20, "0.05": 1}
    record = DrawerClose.objects.get(drawer=closed)
    assert record.counted_by == clerk
    assert record.checks == [
        {"number": "1042", "amount": "30.00"},
        {"number": "1043", "amount": "12.50"},
    ]
    assert record.tenders["cash"] == {"expected": "220.00", "counted": "220.05", "variance": "0.05"}
    assert record.report is not None and record.report.kind == ReportKind.DRAWER_CLOSE
    assert record.deposit_slip is not None and record.deposit_slip.kind == ReportKind.DEPOSIT_SLIP
    with default_storage.open(record.report.file_name, "rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == record.report.sha256
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.latest("sequence").detail == {
        "event": "drawer_counted",
        "status": "closed",
        "variance": "0.05",
        "over_limit": False,
    }
    assert open_drawer_for(user=clerk, location=drawer.location) is None
    with pytest.raises(Conflict) as err:
        count(drawer, clerk)
    assert err.value.code == "drawer_not_open"


def test_a_variance_over_the_limit_needs_a_reason_then_a_manager(
    drawer: DrawerSession, clerk: Any, manager: Any, make_user: Any, location: Any
) -> None:
    take_payment(drawer, (TenderKind.CASH, "70.00"))
    # expected cash 220.00; counted 210.00: short by 10.00 (limit 5.00)
    short = {"20.00": 10, "1.00": 10}
    with pytest.raises(ValidationFailed) as err:
        count(drawer, clerk, cash_counts=short, checks=[], card_batch_total="0")
    assert err.value.fields == {
        "variance_reason": ["The variance of $10.00 is over the $5.00 limit: give the reason."]
    }
    drawer.refresh_from_db()
    assert drawer.status == DrawerStatus.OPEN
    assert not DrawerClose.objects.exists()
    pending = count(
        drawer,
        clerk,
        cash_counts=short,
        checks=[],
        card_batch_total="0",
        variance_reason="Gave change from a $20 twice",
    )
    assert pending.status == DrawerStatus.PENDING_APPROVAL
    assert pending.variance == D("-10.00")
    assert pending.closed_at is None
    assert DrawerClose.objects.get(drawer=pending).report is None
    # Not the person who counted, not without a note, not a clerk.
    with pytest.raises(PermissionDenied):
        ds.drawer_approve(actor=clerk, drawer=pending, note="ok")
    with pytest.raises(ValidationFailed) as err:
        ds.drawer_approve(actor=manager, drawer=pending, note=" ")
    assert err.value.fields == {"note": [ds.MSG_NOTE]}
    approved = ds.drawer_approve(actor=manager, drawer=pending, note="Checked the receipts")
    assert approved.status == DrawerStatus.CLOSED
    assert approved.approved_by == manager
    assert approved.closed_at == approved.approved_at
    record = DrawerClose.objects.get(drawer=approved)
    assert record.approval_note == "Checked the receipts"
    assert record.report is not None
    with pytest.raises(Conflict) as err:
        ds.drawer_approve(actor=manager, drawer=approved, note="again")
    assert err.value.code == "drawer_not_pending"


def test_a_manager_who_counted_cannot_approve_their_own_count(
    clerk: Any, manager: Any, make_user: Any, location: Any
) -> None:
    drawer = ds.drawer_open(actor=clerk, location=location, workstation="Desk 3", counts={})
    pending = count(
        drawer,
        manager,
        cash_counts={"1.00": 6},
        checks=[],
        card_batch_total="0",
        variance_reason="Extra six dollars",
    )
    assert pending.status == DrawerStatus.PENDING_APPROVAL
    with pytest.raises(PermissionDenied) as err:
        ds.drawer_approve(actor=manager, drawer=pending, note="fine")
    assert err.value.message == ds.MSG_SELF_APPROVE
    second = make_user(Role.PRACTICE_MANAGER, location)
    assert ds.drawer_approve(actor=second, drawer=pending, note="fine").status == "closed"


def test_offsetting_tender_variances_still_need_approval(drawer: DrawerSession, clerk: Any) -> None:
    # Cash 20.00 over, checks 20.00 short: the total is zero but each tender is off.
    with pytest.raises(ValidationFailed):
        count(
            drawer,
            clerk,
            cash_counts={"20.00": 8, "1.00": 10},  # 170 vs 150
            checks=[],
            card_batch_total="0",
        )
    take_payment(drawer, (TenderKind.CHECK, "20.00"))
    pending = count(
        drawer,
        clerk,
        cash_counts={"20.00": 8, "1.00": 10},
        checks=[],
        card_batch_total="0",
        variance_reason="Check cashed as cash",
    )
    assert pending.variance == D("0.00")
    assert pending.status == DrawerStatus.PENDING_APPROVAL


def test_only_the_owner_or_a_manager_counts(
    drawer: DrawerSession, make_user: Any, location: Any
) -> None:
    colleague = make_user(Role.FRONT_DESK, location)
    with pytest.raises(PermissionDenied):
        count(drawer, colleague)


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"checks": [("", "10.00")]}, {"checks": ["Check 1: give the check number."]}),
        ({"checks": [("7", "0")]}, {"checks": ["Enter an amount greater than zero."]}),
        ({"checks": [("7", "1"), ("7", "2")]}, {"checks": ["Check 7 is listed twice."]}),
        ({"checks": "-3"}, {"checks": ["The checks total cannot be negative."]}),
        (
            {"card_batch_total": "1.234"},
            {"card_batch_total": ["Amounts have at most two decimal places (cents)."]},
        ),
        (
            {"variance_reason": f"card {PAN}"},
            {"variance_reason": [ledger.MSG_CARD_NUMBER]},
        ),
    ],
)
def test_count_validates_everything_before_writing(
    drawer: DrawerSession, clerk: Any, overrides: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationFailed) as err:
        count(drawer, clerk, **overrides)
    assert err.value.fields == fields
    drawer.refresh_from_db()
    assert drawer.status == DrawerStatus.OPEN


def test_a_checks_total_instead_of_a_list(drawer: DrawerSession, clerk: Any) -> None:
    take_payment(drawer, (TenderKind.CHECK, "42.50"))
    closed = count(
        drawer,
        clerk,
        cash_counts={"20.00": 5, "1.00": 40, "0.25": 40},
        checks="42.50",
        card_batch_total="0",
    )
    assert closed.status == DrawerStatus.CLOSED
    assert closed.counted_checks == D("42.50")
    assert DrawerClose.objects.get(drawer=closed).checks == []


def test_the_limit_is_a_setting(drawer: DrawerSession, clerk: Any, settings: Any) -> None:
    settings.FRONTDESK_DRAWER_VARIANCE_LIMIT = "20.00"
    closed = count(drawer, clerk, cash_counts={"20.00": 8}, checks=[], card_batch_total="0")
    assert closed.status == DrawerStatus.CLOSED
    assert closed.variance == D("10.00")


def test_report_downloads_verify_the_hash_and_are_audited(
    drawer: DrawerSession, clerk: Any
) -> None:
    closed = count(drawer, clerk, cash_counts=FLOAT, checks=[], card_batch_total="0")
    report = DrawerClose.objects.get(drawer=closed).report
    assert report is not None
    data = report_read(
        actor=clerk, report=report, object_type="drawer_session", object_id=closed.pk
    )
    assert hashlib.sha256(data).hexdigest() == report.sha256
    event = AuditEvent.objects.latest("sequence")
    assert event.action == "print"
    assert event.detail == {"view": "drawer_close_pdf", "report_id": report.pk, "intact": True}
    with default_storage.open(report.file_name, "wb") as handle:
        handle.write(data.replace(b"Drawer close report", b"Drawer close rep0rt"))
    with pytest.raises(Conflict) as err:
        report_read(actor=clerk, report=report, object_type="drawer_session", object_id=closed.pk)
    assert err.value.message == MSG_TAMPERED
    event = AuditEvent.objects.latest("sequence")
    assert event.outcome == "failure"
    assert event.detail["intact"] is False
