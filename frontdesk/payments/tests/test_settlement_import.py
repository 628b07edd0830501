"""Card settlement import: matching by transaction id then reference, the four outcomes, malformed
rows reported by line, one effect per file, the command line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from stdnum import luhn

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.payments.choices import CardAttemptStatus, PaymentStatus, RefundMethod, TenderKind
from frontdesk.payments.drawer_models import SettlementImport, SettlementLine
from frontdesk.payments.models import CardAttempt, Refund
from frontdesk.payments.settlement import settlement_import
from frontdesk.payments.tests.helpers import cash_refund, take_payment
from tests.factories import DrawerSessionFactory, LocationFactory

D = Decimal
# Built at run time so the repository holds no card number (tests/test_security_card_data.py).
PAN = "4" + "1" * 14 + luhn.calc_check_digit("4" + "1" * 14)
HEADER = "settlement_date,transaction_id,reference,amount,card_brand,last4,type\n"
SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "settlement-sample.csv"


@pytest.fixture
def biller(make_user: Any, location: Any) -> Any:
    return make_user(Role.BILLING, location)


@pytest.fixture
def card_day(location: Any, biller: Any) -> dict[str, Any]:
    drawer = DrawerSessionFactory(location=location, user=biller)
    day = drawer.business_date
    sale = take_payment(drawer, (TenderKind.CARD, "25.00"), txn="tp_ch_1")
    mismatch = take_payment(drawer, (TenderKind.HSA_FSA, "40.10"), txn="tp_ch_2")
    by_ref = take_payment(drawer, (TenderKind.CARD, "15.05"), txn="tp_ch_3")
    CardAttempt.objects.create(
        payment=by_ref,
        reference="ref-3",
        amount=D("15.05"),
        token="tok_test",
        status=CardAttemptStatus.APPROVED,
        processor_transaction_id="tp_ch_3",
        started_at=timezone.now(),
    )
    unsettled = take_payment(drawer, (TenderKind.CARD, "9.99"), txn="tp_ch_4")
    voided = take_payment(drawer, (TenderKind.CARD, "12.00"), txn="tp_ch_5")
    voided.status, voided.voided_at, voided.void_reason = PaymentStatus.VOIDED, timezone.now(), "x"
    voided.save()
    cash = take_payment(drawer, (TenderKind.CASH, "5.00"))  # not a card: never in the report
    refund = cash_refund(drawer, "10.00")
    Refund.objects.filter(pk=refund.pk).update(
        method=RefundMethod.CARD, processor_transaction_id="tp_rf_6"
    )
    return {
        "day": day,
        "sale": sale,
        "mismatch": mismatch,
        "by_ref": by_ref,
        "unsettled": unsettled,
        "voided": voided,
        "cash": cash,
        "refund": refund,
    }


def csv_for(day: dt.date, *rows: str) -> bytes:
    return (HEADER + "".join(row.replace("DAY", day.isoformat()) + "\n" for row in rows)).encode()


def test_import_matches_and_reports_the_four_outcomes(
    card_day: dict[str, Any], biller: Any, location: Any
) -> None:
    data = csv_for(
        card_day["day"],
        "DAY,tp_ch_1,ref-1,25.00,visa,4242,sale",
        "DAY,tp_ch_2,,40.01,visa,4242,sale",  # 9 cents short
        "DAY,,ref-3,15.05,visa,4242,sale",  # no transaction id: matched by our reference
        "DAY,tp_ch_5,,12.00,visa,4242,void",
        "DAY,tp_rf_6,,10.00,visa,4242,refund",
        "DAY,tp_ch_77,,60.00,discover,1117,sale",  # not ours
    )
    record, created = settlement_import(
        actor=biller, data=data, file_name="batch.csv", location=location
    )
    assert created is True
    assert record.summary == {
        "matched": 4,
        "missing_in_frontdesk": 1,
        "missing_at_processor": 1,
        "amount_mismatch": 1,
        "malformed": 0,
    }
    assert record.rows == 6
    assert record.first_date == record.last_date == card_day["day"]
    lines = {
        (
            line.line_number,
            line.result,
            line.transaction_id or line.reference,
            line.amount,
            line.frontdesk_amount,
        )
        for line in record.lines.all()
    }
    assert lines == {
        (2, "matched", "tp_ch_1", D("25.00"), D("25.00")),
        (3, "amount_mismatch", "tp_ch_2", D("40.01"), D("40.10")),
        (4, "matched", "ref-3", D("15.05"), D("15.05")),
        (5, "matched", "tp_ch_5", D("-12.00"), D("12.00")),
        (6, "matched", "tp_rf_6", D("-10.00"), D("10.00")),
        (7, "missing_in_frontdesk", "tp_ch_77", D("60.00"), None),
        (None, "missing_at_processor", "tp_ch_4", None, D("9.99")),
    }
    assert record.lines.get(line_number=4).tender.payment == card_day["by_ref"]
    event = AuditEvent.objects.latest("sequence")
    assert event.detail["event"] == "settlement_imported"
    assert event.detail["matched"] == 4


def test_the_sale_of_a_payment_voided_later_matches_its_sale(
    card_day: dict[str, Any], biller: Any
) -> None:
    record, _ = settlement_import(
        actor=biller,
        data=csv_for(card_day["day"], "DAY,tp_ch_5,,12.00,visa,4242,sale"),
        file_name="x.csv",
    )
    line = record.lines.get(line_number=2)
    assert (line.result, line.frontdesk_amount) == ("matched", D("12.00"))


def test_malformed_rows_are_reported_by_line_and_the_rest_imports(
    card_day: dict[str, Any], biller: Any
) -> None:
    data = csv_for(
        card_day["day"],
        "DAY,tp_ch_1,,25.00,visa,4242,sale",
        "2026-13-40,tp_ch_2,,40.10,visa,4242,sale",
        "DAY,tp_ch_3,,-5,visa,4242,sale",
        "DAY,tp_ch_9,,abc,visa,42,chargeback",
        "DAY,tp_ch_4,,9.99,visa",
        "DAY,tp_ch_1,,25.00,visa,4242,sale",
        f"DAY,tp_ch_8,note {PAN},1.00,visa,1111,sale",
        "",
        "DAY,,,1.00,visa,1111,sale",
    )
    record, created = settlement_import(actor=biller, data=data, file_name="bad.csv")
    assert created
    assert record.errors == [
        {"line": 3, "message": "Settlement_date must be YYYY-MM-DD."},
        {"line": 4, "message": "Amount must be greater than zero."},
        {
            "line": 5,
            "message": "Amount must be an amount like 25.00; type must be sale, refund or void; "
            "last4 must be four digits.",
        },
        {"line": 6, "message": "Expected 7 columns, found 5."},
        {"line": 7, "message": "The same sale is already on line 2."},
        {"line": 8, "message": "The row contains what looks like a card number."},
        {"line": 10, "message": "Give a transaction_id or a reference."},
    ]
    assert record.summary["matched"] == 1
    assert record.summary["malformed"] == 7
    assert PAN[:6] not in str(record.errors)
    assert not SettlementLine.objects.filter(reference__contains=PAN[:6]).exists()


def test_the_same_file_twice_has_one_effect(card_day: dict[str, Any], biller: Any) -> None:
    data = csv_for(card_day["day"], "DAY,tp_ch_1,,25.00,visa,4242,sale")
    first, created = settlement_import(actor=biller, data=data, file_name="a.csv")
    lines = SettlementLine.objects.count()
    again, created_again = settlement_import(actor=biller, data=data, file_name="renamed.csv")
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert SettlementImport.objects.count() == 1
    assert SettlementLine.objects.count() == lines


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\xff\xfe\x00", "The file is not UTF-8 text (export it from the processor as CSV)."),
        (
            b"date,amount\n2026-01-01,1.00\n",
            "The first row must name the columns: settlement_date, transaction_id, reference, "
            "amount, card_brand, last4, type. Missing: settlement_date, transaction_id, reference, "
            "card_brand, last4, type.",
        ),
    ],
)
def test_an_unreadable_file_is_refused_whole(biller: Any, data: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        settlement_import(actor=biller, data=data, file_name="x.csv")
    assert err.value.fields == {"file": [message]}
    assert not SettlementImport.objects.exists()


def test_import_is_permissioned_and_scoped(make_user: Any, location: Any) -> None:
    clerk = make_user(Role.FRONT_DESK, location)
    with pytest.raises(PermissionDenied):
        settlement_import(actor=clerk, data=HEADER.encode(), file_name="x.csv")
    elsewhere = make_user(Role.BILLING, LocationFactory())
    with pytest.raises(NotFound):
        settlement_import(
            actor=elsewhere, data=HEADER.encode(), file_name="x.csv", location=location
        )


def test_a_location_limits_the_match(card_day: dict[str, Any], make_user: Any) -> None:
    other = LocationFactory()
    biller = make_user(Role.BILLING, other)
    record, _ = settlement_import(
        actor=biller,
        data=csv_for(card_day["day"], "DAY,tp_ch_1,,25.00,visa,4242,sale"),
        file_name="x.csv",
        location=other,
    )
    assert record.summary["missing_in_frontdesk"] == 1
    assert record.summary["missing_at_processor"] == 0


def test_the_sample_file_and_the_command_line(
    card_day: dict[str, Any], location: Any, tmp_path: Path
) -> None:
    out = StringIO()
    call_command("settlement_import", str(SAMPLE), "--location", location.code, stdout=out)
    text = out.getvalue()
    assert "0 matched, 6 missing in FrontDesk, 0 missing at the processor" in text
    assert "Settlement import" in text
    again = StringIO()
    call_command("settlement_import", str(SAMPLE), stdout=again)
    assert "already imported" in again.getvalue()
    assert SettlementImport.objects.count() == 1
    assert SettlementImport.objects.get().imported_by is None
    with pytest.raises(CommandError, match="No location"):
        call_command("settlement_import", str(SAMPLE), "--location", "nowhere")
    with pytest.raises(CommandError, match="No file"):
        call_command("settlement_import", str(tmp_path / "missing.csv"))
