"""Issue 5's "Done means", end to end through the services: a full day of front-desk money -
copays, split tenders, a void, a refund, a statement - reconciles to the cent at close, the closed day
cannot be altered, receipts never skip or repeat a number, and duplicate submissions never
double-charge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.core.errors import DomainError
from frontdesk.ledger import selectors as ledger
from frontdesk.ledger.errors import DayClosed
from frontdesk.ledger.models import LedgerEntry
from frontdesk.ledger.services import account_for_patient, charge_post
from frontdesk.payments import drawer_services
from frontdesk.payments.choices import DrawerStatus, PaymentStatus
from frontdesk.payments.models import Payment, Refund
from frontdesk.payments.services import TenderInput, payment_take, payment_void, refund_issue
from frontdesk.statements.services import statement_create
from tests.factories import PatientFactory

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _midday(time_machine: Any) -> None:
    # 11:00 in New York: the whole scenario happens on one business day.
    time_machine.move_to(dt.datetime(2026, 11, 18, 16, 0, tzinfo=dt.UTC), tick=True)


def test_a_full_day_of_money_reconciles_to_the_cent_and_stays_closed(
    location: Any, make_user: Any
) -> None:
    desk = make_user(Role.FRONT_DESK, location)
    biller = make_user(Role.BILLING, location)
    manager = make_user(Role.PRACTICE_MANAGER, location)
    ana, ben, cy = PatientFactory(), PatientFactory(), PatientFactory()
    yesterday = timezone.now() - dt.timedelta(days=1)

    # Morning: a prior balance from last week, today's copays.
    charge_post(
        actor=biller, patient=ana, location=location, code="visit", amount="30.00", at=yesterday
    )
    for patient, amount in ((ana, "25.00"), (ben, "40.00"), (cy, "80.00")):
        charge_post(actor=biller, patient=patient, location=location, code="copay", amount=amount)
    drawer = drawer_services.drawer_open(
        actor=desk, location=location, workstation="Desk 1", counts={"20.00": 5, "10.00": 5}
    )
    assert drawer.opening_float == D("150.00")

    # Ana pays her copay and the prior balance, split: cash (with change) and a card.
    split = payment_take(
        actor=desk,
        location=location,
        patient=ana,
        tenders=[
            TenderInput(kind="cash", amount="20.00", cash_tendered="40.00"),
            TenderInput(kind="card", amount="35.00", card_token="tok_visa_approve"),
        ],
        idempotency_key="day-ana-1",
    )
    assert (split.status, split.amount) == (PaymentStatus.COMPLETED, D("55.00"))
    assert [(t.kind, t.change_given, t.card_last4) for t in split.tenders.order_by("pk")] == [
        ("cash", D("20.00"), ""),
        ("card", None, "4242"),
    ]
    # The same request again (a double click, a retry): the same payment, nothing new.
    again = payment_take(
        actor=desk,
        location=location,
        patient=ana,
        tenders=[
            TenderInput(kind="cash", amount="20.00", cash_tendered="40.00"),
            TenderInput(kind="card", amount="35.00", card_token="tok_visa_approve"),
        ],
        idempotency_key="day-ana-1",
    )
    assert again.pk == split.pk
    with pytest.raises(DomainError) as caught:
        payment_take(
            actor=desk,
            location=location,
            patient=ana,
            tenders=[TenderInput(kind="cash", amount="21.00")],
            idempotency_key="day-ana-1",
        )
    assert caught.value.code == "idempotency_mismatch"

    # Ben pays by check, then is charged twice in cash by mistake: the second is voided.
    check = payment_take(
        actor=desk,
        location=location,
        patient=ben,
        tenders=[TenderInput(kind="check", amount="40.00", check_number="1001")],
        idempotency_key="day-ben-1",
    )
    mistake = payment_take(
        actor=desk,
        location=location,
        patient=ben,
        tenders=[TenderInput(kind="cash", amount="40.00")],
        idempotency_key="day-ben-2",
    )
    payment_void(actor=desk, payment=mistake, reason="Taken twice")
    # A prepayment in cash, refunded later the same day.
    prepay = payment_take(
        actor=desk,
        location=location,
        patient=ben,
        tenders=[TenderInput(kind="cash", amount="20.00")],
        idempotency_key="day-ben-3",
    )
    refund = refund_issue(
        actor=biller,
        account=account_for_patient(patient=ben),
        location=location,
        amount="20.00",
        method="check",
        reason="Procedure not done",
        payment=prepay,
        check_number="5001",
        idempotency_key="day-ben-refund",
    )

    # Balances: Ana and Ben are square, Cy owes his copay and gets a statement.
    assert ledger.patient_balance_due(patient=ana) == D("0.00")
    assert ledger.patient_balance_due(patient=ben) == D("0.00")
    assert ledger.patient_balance_due(patient=cy) == D("80.00")
    statement = statement_create(
        actor=biller, account=account_for_patient(patient=cy), cycle_date=timezone.localdate()
    )
    assert statement.amount_due == D("80.00")

    # Receipts: one sequence per location, no gap, no repeat (payments, the void, the refund).
    numbers = sorted(
        [n for n in Payment.objects.values_list("receipt_number", flat=True) if n]
        + [n for n in Payment.objects.values_list("void_receipt_number", flat=True) if n]
        + list(Refund.objects.values_list("receipt_number", flat=True))
    )
    assert numbers == list(range(1, 7))  # 3 payments, the void, the prepayment, the refund
    assert [split.receipt_number, check.receipt_number, mistake.receipt_number] == [1, 2, 3]
    assert (prepay.receipt_number, refund.receipt_number, refund.amount) == (5, 6, D("20.00"))

    # Close the drawer: 150 float + 20 + 40 - 40 (void) + 20 = 190 cash; the check; the card batch.
    drawer = drawer_services.drawer_count_close(
        actor=desk,
        drawer=drawer,
        cash_counts={"20.00": 7, "10.00": 5},  # 140 + 50
        checks=[("1001", "40.00")],
        card_batch_total="35.00",
    )
    assert drawer.status == DrawerStatus.CLOSED
    assert drawer.variance == D("0.00")
    assert drawer.expected == {"cash": "190.00", "check": "40.00", "card": "35.00"}

    # The day close: every tender to the cent, then the day is locked.
    today = split.business_date
    close = drawer_services.day_close(actor=biller, location=location, date=today)
    assert close.totals["tenders"]["cash"]["net"] == "40.00"  # 20 + 40 - 40 + 20
    assert close.totals["tenders"]["check"]["net"] == "20.00"  # 40 - the 20 refund check
    assert close.totals["tenders"]["card"]["net"] == "35.00"
    assert close.net_collected == D("95.00")
    entries_before = LedgerEntry.objects.count()
    with pytest.raises(DayClosed):
        charge_post(actor=biller, patient=cy, location=location, code="copay", amount="5")
    with pytest.raises(DomainError):
        payment_void(actor=manager, payment=check, reason="too late")
    assert LedgerEntry.objects.count() == entries_before
    check.refresh_from_db()
    assert check.status == PaymentStatus.COMPLETED
