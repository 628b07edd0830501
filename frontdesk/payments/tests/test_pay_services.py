"""Taking payments: validation, split tenders, allocation, idempotency, card outcomes, voids, refunds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from stdnum import luhn

from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from frontdesk.ledger import selectors as ledger_selectors
from frontdesk.ledger import services as ledger_services
from frontdesk.ledger.choices import EntryKind
from frontdesk.ledger.errors import DayClosed
from frontdesk.ledger.models import Account, Allocation, LedgerEntry
from frontdesk.payments import services
from frontdesk.payments.choices import CardAttemptStatus, DrawerStatus, PaymentStatus
from frontdesk.payments.models import CardAttempt, Payment, Refund, Tender
from frontdesk.payments.services import TenderInput
from frontdesk.payments.tests.pay_fixtures import *  # noqa: F403 (fixtures)
from frontdesk.payments.tests.pay_fixtures import NOW, card, cash, check, key
from tests.factories import DrawerSessionFactory, LocationFactory, PatientFactory

D = Decimal
# A Luhn-valid test number built at run time (no file of the repository holds a card number).
PAN = "4" + "1" * 14 + luhn.calc_check_digit("4" + "1" * 14)
SPACED = " ".join(PAN[i : i + 4] for i in range(0, 16, 4))


def take(clerk: Any, location: Any, patient: Any, tenders: list[TenderInput], **kw: Any) -> Any:
    kw.setdefault("idempotency_key", key())
    return services.payment_take(
        actor=clerk, patient=patient, location=location, tenders=tenders, **kw
    )


def test_a_split_cash_and_card_payment_pays_the_oldest_charges_first(
    clerk, location, patient, drawer, charge, processor
):
    old = charge(patient, "25.00", days_ago=10)
    new = charge(patient, "40.00")
    audits = AuditEvent.objects.count()
    payment = take(
        clerk, location, patient, [cash("50.00", tendered="60.00"), card("15.00")], amount="65"
    )
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.replayed is False
    assert payment.amount == D("65.00")
    assert payment.receipt_number == 1
    assert payment.drawer == drawer
    assert payment.business_date == NOW.date()
    assert payment.entry.kind == EntryKind.PAYMENT
    assert payment.entry.amount == D("-65.00")
    assert sorted(
        (a.debit_id, a.amount) for a in Allocation.objects.filter(credit=payment.entry)
    ) == sorted([(old.pk, D("25.00")), (new.pk, D("40.00"))])
    cash_tender, card_tender = payment.tenders.order_by("pk")
    assert (cash_tender.kind, cash_tender.amount) == ("cash", D("50.00"))
    assert (cash_tender.cash_tendered, cash_tender.change_given) == (D("60.00"), D("10.00"))
    assert (card_tender.card_brand, card_tender.card_last4) == ("Visa", "4242")
    assert (
        card_tender.card_auth_code
        == processor.lookup(payment.card_attempts.get().reference).auth_code
    )
    attempt = payment.card_attempts.get()
    assert attempt.status == CardAttemptStatus.APPROVED
    assert attempt.amount == D("15.00")
    assert [c.amount for c in processor.charges()] == [D("15.00")]
    assert ledger_selectors.patient_balance_due(patient=patient) == D("0.00")
    assert payment.response["change_due"] == "10.00"
    assert payment.response["balance_after"] == "0.00"
    assert payment.response["unapplied"] == "0.00"
    events = list(AuditEvent.objects.filter(sequence__gt=audits).order_by("sequence"))
    assert [e.detail["event"] for e in events] == ["payment_taken"]
    assert events[0].detail["receipt"] == 1
    assert events[0].detail["tenders"] == ["card", "cash"]


def test_a_payment_to_specific_charges_and_a_prepayment_remainder(
    clerk, location, patient, drawer, charge
):
    first = charge(patient, "25.00", days_ago=3)
    second = charge(patient, "40.00")
    payment = take(clerk, location, patient, [cash("50.00")], apply_to=[(second.pk, "40.00")])
    assert [(a.debit_id, a.amount) for a in payment.entry.applied_to.all()] == [
        (second.pk, D("40.00"))
    ]
    balances = ledger_selectors.account_balances(account=payment.account)
    assert balances.patient == D("15.00")  # 65 charged - 50 paid
    assert balances.unapplied == D("10.00")
    assert ledger_selectors.open_amounts(account=payment.account, entries=[first])[first.pk] == D(
        "25.00"
    )
    assert payment.response["unapplied"] == "10.00"


@pytest.mark.parametrize(
    ("tenders", "extra", "field", "message"),
    [
        ([cash("0")], {}, "tenders.0.amount", "Enter an amount greater than zero."),
        ([cash("-5")], {}, "tenders.0.amount", "Enter an amount greater than zero."),
        ([], {}, "tenders", services.MSG_NO_TENDERS),
        (
            [cash("20.00"), card("5.00")],
            {"amount": "30.00"},
            "amount",
            "The tenders add up to $25.00, not the payment amount $30.00.",
        ),
        (
            [cash("20.00", tendered="10.00")],
            {},
            "tenders.0.cash_tendered",
            "The cash handed over ($10.00) is less than the cash amount ($20.00).",
        ),
        ([check("20.00", number="")], {}, "tenders.0.check_number", services.MSG_CHECK_NUMBER),
        (
            [card("20.00", token=PAN)],
            {},
            "tenders.0.card_token",
            services.MSG_CARD_TOKEN,
        ),
        ([card("5.00"), card("5.00", "tok_mc_approve")], {}, "tenders", services.MSG_ONE_CARD),
        (
            [cash("5.00")],
            {"memo": f"card {SPACED}"},
            "memo",
            ledger_services.MSG_CARD_NUMBER,
        ),
        ([TenderInput(kind="bitcoin", amount="5")], {}, "tenders.0.kind", services.MSG_TENDER_KIND),
        (
            [cash("12.345")],
            {},
            "tenders.0.amount",
            "Amounts have at most two decimal places (cents).",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(
    clerk, location, patient, drawer, tenders, extra, field, message
):
    entries = LedgerEntry.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        take(clerk, location, patient, tenders, **extra)
    assert message in caught.value.fields[field]
    assert Payment.objects.count() == 0
    assert Tender.objects.count() == 0
    assert CardAttempt.objects.count() == 0
    assert LedgerEntry.objects.count() == entries
    assert not Account.objects.filter(holder=patient).exists()  # not even an empty account


def test_more_tendered_by_check_than_due_is_refused(clerk, location, patient, drawer, charge):
    due = charge(patient, "40.00")
    with pytest.raises(ValidationFailed) as caught:
        take(clerk, location, patient, [check("45.00")], apply_to=[(due.pk, "40.00")])
    assert caught.value.fields["tenders.0.amount"] == [
        "More tendered by check than is due ($40.00); take the exact amount due."
    ]
    assert Payment.objects.count() == 0


def test_applying_more_than_is_open_on_a_charge_is_refused(
    clerk, location, patient, drawer, charge
):
    due = charge(patient, "40.00")
    with pytest.raises(ValidationFailed) as caught:
        take(clerk, location, patient, [cash("50.00")], apply_to=[(due.pk, "50.00")])
    assert caught.value.fields["apply_to.0.amount"] == [
        "That is more than is still open on the charge ($40.00)."
    ]
    other = charge(PatientFactory(), "10.00")
    with pytest.raises(ValidationFailed) as caught:
        take(clerk, location, patient, [cash("10.00")], apply_to=[(other.pk, "10.00")])
    assert caught.value.fields["apply_to.0.charge_id"] == [services.MSG_APPLY_NOT_OPEN]
    assert Payment.objects.count() == 0


def test_patient_credit_pays_charges_without_new_money(clerk, location, patient, drawer, charge):
    prepaid = take(clerk, location, patient, [cash("30.00")])
    assert ledger_selectors.account_balances(account=prepaid.account).unapplied == D("30.00")
    copay = charge(patient, "25.00")
    entries = LedgerEntry.objects.count()
    paid = take(clerk, location, patient, [TenderInput(kind="credit", amount="25.00")])
    assert paid.status == PaymentStatus.COMPLETED
    assert paid.entry is None
    assert LedgerEntry.objects.count() == entries  # no new money, no new entry
    assert [(a.credit_id, a.debit_id, a.amount) for a in copay.paid_by.all()] == [
        (prepaid.entry_id, copay.pk, D("25.00"))
    ]
    assert paid.receipt_number == 2
    assert paid.response["credit_applied"] == [{"charge_id": str(copay.pk), "amount": "25.00"}]
    with pytest.raises(ValidationFailed) as caught:
        take(clerk, location, patient, [TenderInput(kind="credit", amount="6.00")])
    assert caught.value.fields["tenders"] == [
        "Only $5.00 of patient credit is available on the account.",
        "Patient credit can only pay open charges: $0.00 is open.",
    ]


def test_without_an_open_drawer_nothing_is_taken(clerk, location, patient, now):
    with pytest.raises(Conflict) as caught:
        take(clerk, location, patient, [cash("10.00")])
    assert (caught.value.code, caught.value.message) == (
        "no_open_drawer",
        "Open your cash drawer first.",
    )
    DrawerSessionFactory(location=location, user=clerk, status=DrawerStatus.PENDING_APPROVAL)
    with pytest.raises(Conflict) as caught:
        take(clerk, location, patient, [cash("10.00")])
    assert caught.value.code == "no_open_drawer"
    assert Payment.objects.count() == 0


def test_a_closed_day_refuses_payments(clerk, biller, location, patient, drawer, make_user):
    from frontdesk.accounts.choices import Role

    manager = make_user(Role.PRACTICE_MANAGER, location)
    ledger_services.ledger_day_lock(actor=manager, location=location, date=NOW.date())
    with pytest.raises(DayClosed):
        take(clerk, location, patient, [cash("10.00")])
    assert Payment.objects.count() == 0


def test_roles_and_locations_are_enforced(make_user, location, patient, drawer, now):
    from frontdesk.accounts.choices import Role
    from frontdesk.core.errors import NotFound

    nurse = make_user(Role.NURSE, location)
    with pytest.raises(PermissionDenied):
        take(nurse, location, patient, [cash("10.00")])
    elsewhere = make_user(Role.FRONT_DESK, LocationFactory())
    with pytest.raises(NotFound):
        take(elsewhere, location, patient, [cash("10.00")])


def test_the_same_key_and_request_replays_and_a_different_request_is_refused(
    clerk, location, patient, drawer, charge, processor
):
    charge(patient, "25.00")
    k = key()
    first = take(clerk, location, patient, [cash("5.00"), card("20.00")], idempotency_key=k)
    rows = (Payment.objects.count(), Tender.objects.count(), LedgerEntry.objects.count())
    again = take(clerk, location, patient, [cash("5.00"), card("20.00")], idempotency_key=k)
    assert again.pk == first.pk
    assert again.replayed is True
    assert again.response == first.response
    assert (Payment.objects.count(), Tender.objects.count(), LedgerEntry.objects.count()) == rows
    assert len(processor.charges()) == 1
    with pytest.raises(Conflict) as caught:
        take(clerk, location, patient, [cash("6.00"), card("20.00")], idempotency_key=k)
    assert caught.value.code == "idempotency_mismatch"
    assert Payment.objects.count() == 1


def test_a_declined_card_posts_nothing_and_uses_no_receipt_number(
    clerk, location, patient, drawer, charge
):
    charge(patient, "25.00")
    entries = LedgerEntry.objects.count()
    declined = take(clerk, location, patient, [card("25.00", "tok_decline")])
    assert declined.status == PaymentStatus.DECLINED
    assert declined.entry is None
    assert declined.receipt_number is None
    assert LedgerEntry.objects.count() == entries
    assert declined.response["message"] == (
        "The card was declined: Card declined by the issuer. Nothing was charged; "
        "try another card or tender."
    )
    assert declined.card_attempts.get().status == CardAttemptStatus.DECLINED
    paid = take(clerk, location, patient, [card("25.00", "tok_mc_approve")])
    assert paid.receipt_number == 1
    assert paid.tenders.get().card_brand == "Mastercard"


def test_a_timeout_stays_pending_and_the_reconciliation_completes_it_with_one_charge(
    clerk, location, patient, drawer, charge, processor
):
    charge(patient, "25.00")
    k = key()
    pending = take(clerk, location, patient, [card("25.00", "tok_timeout")], idempotency_key=k)
    assert pending.status == PaymentStatus.PENDING
    assert pending.response["message"] == services.MSG_TIMEOUT
    assert pending.entry is None
    assert pending.card_attempts.get().status == CardAttemptStatus.TIMEOUT
    assert ledger_selectors.patient_balance_due(patient=patient) == D("25.00")
    assert services.payment_reconcile() == {"completed": 1, "declined": 0, "unanswered": 0}
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.COMPLETED
    assert pending.receipt_number == 1
    assert pending.tenders.get().card_last4 == "0341"
    assert ledger_selectors.patient_balance_due(patient=patient) == D("0.00")
    assert len(processor.charges()) == 1
    assert services.payment_reconcile() == {"completed": 0, "declined": 0, "unanswered": 0}
    again = take(clerk, location, patient, [card("25.00", "tok_timeout")], idempotency_key=k)
    assert (again.pk, again.status, again.replayed) == (pending.pk, PaymentStatus.COMPLETED, True)
    assert len(processor.charges()) == 1


def test_a_replay_after_a_timeout_reconciles_before_answering(
    clerk, location, patient, drawer, processor
):
    k = key()
    pending = take(clerk, location, patient, [card("25.00", "tok_timeout")], idempotency_key=k)
    assert pending.status == PaymentStatus.PENDING
    again = take(clerk, location, patient, [card("25.00", "tok_timeout")], idempotency_key=k)
    assert (again.pk, again.status) == (pending.pk, PaymentStatus.COMPLETED)
    assert len(processor.charges()) == 1


def test_a_timeout_the_processor_never_recorded_is_declined_by_the_reconciliation(
    clerk, location, patient, drawer, processor
):
    pending = take(clerk, location, patient, [card("25.00", "tok_timeout_unrecorded")])
    assert pending.status == PaymentStatus.PENDING
    assert services.payment_reconcile() == {"completed": 0, "declined": 1, "unanswered": 0}
    pending.refresh_from_db()
    assert pending.status == PaymentStatus.DECLINED
    assert pending.card_attempts.get().decline_reason == "Not received by the processor."
    assert processor.charges() == []
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 0


class Crash(BaseException):
    """The process dies: nothing after this point runs (not caught by ``except Exception``)."""


def test_a_crash_between_the_processors_approval_and_the_commit_is_completed_once(
    clerk, location, patient, drawer, charge, processor, monkeypatch
):
    charge(patient, "25.00")

    def die(attempt: Any) -> None:
        raise Crash()

    monkeypatch.setattr(services, "_after_processor_answer", die)
    k = key()
    with pytest.raises(Crash):
        take(clerk, location, patient, [card("25.00")], idempotency_key=k)
    payment = Payment.objects.get(idempotency_key=k)
    assert payment.status == PaymentStatus.PENDING
    assert payment.card_attempts.get().status == CardAttemptStatus.PENDING
    assert [c.status for c in processor.charges()] == ["approved"]  # the card WAS charged
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 0
    monkeypatch.undo()
    # Within the grace period the attempt might still be in flight: left alone.
    assert services.payment_reconcile() == {"completed": 0, "declined": 0, "unanswered": 0}
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        assert services.payment_reconcile() == {"completed": 1, "declined": 0, "unanswered": 0}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.entry.amount == D("-25.00")
    assert ledger_selectors.patient_balance_due(patient=patient) == D("0.00")
    assert len(processor.charges()) == 1
    assert AuditEvent.objects.filter(detail__event="payment_taken").count() == 1


def test_a_void_reverses_the_ledger_and_the_card_and_records_the_drawer(
    clerk, location, patient, drawer, charge, processor
):
    charge(patient, "25.00")
    payment = take(clerk, location, patient, [cash("10.00"), card("15.00")])
    assert ledger_selectors.patient_balance_due(patient=patient) == D("0.00")
    voided = services.payment_void(actor=clerk, payment=payment, reason="Wrong patient")
    assert voided.status == PaymentStatus.VOIDED
    assert voided.void_drawer == drawer
    assert voided.voided_by == clerk
    assert voided.void_entry.reverses == payment.entry
    assert voided.void_entry.amount == D("25.00")
    assert ledger_selectors.patient_balance_due(patient=patient) == D("25.00")
    assert processor.lookup(payment.card_attempts.get().reference).voided is True
    assert payment.card_attempts.get().status == CardAttemptStatus.REVERSED
    assert AuditEvent.objects.filter(detail__event="payment_voided").count() == 1
    with pytest.raises(Conflict) as caught:
        services.payment_void(actor=clerk, payment=payment, reason="Again")
    assert caught.value.code == "not_voidable"
    with pytest.raises(ValidationFailed):
        services.payment_void(actor=clerk, payment=payment, reason="")


def test_a_void_is_refused_when_today_is_closed(clerk, location, patient, drawer, make_user):
    from frontdesk.accounts.choices import Role

    payment = take(clerk, location, patient, [cash("10.00")])
    manager = make_user(Role.PRACTICE_MANAGER, location)
    ledger_services.ledger_day_lock(actor=manager, location=location, date=NOW.date())
    with pytest.raises(DayClosed):
        services.payment_void(actor=clerk, payment=payment, reason="Mistake")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED


def test_refunds_give_back_unapplied_credit_only(
    clerk, biller, location, patient, drawer, biller_drawer, charge, processor
):
    charge(patient, "20.00")
    payment = take(clerk, location, patient, [card("50.00")])  # 30 overpaid
    account = payment.account
    with pytest.raises(ValidationFailed) as caught:
        services.refund_issue(
            actor=biller,
            account=account,
            location=location,
            amount="31.00",
            method="cash",
            reason="Overpaid",
            idempotency_key=key(),
        )
    assert caught.value.fields["amount"] == [
        "A refund cannot be more than the unapplied credit on the account ($30.00)."
    ]
    with pytest.raises(PermissionDenied):
        services.refund_issue(
            actor=clerk,
            account=account,
            location=location,
            amount="5.00",
            method="cash",
            reason="Overpaid",
            idempotency_key=key(),
        )
    k = key()
    back = services.refund_issue(
        actor=biller,
        account=account,
        location=location,
        amount="20.00",
        method="card",
        reason="Overpaid copay",
        payment=payment,
        idempotency_key=k,
    )
    assert back.method == "card"
    assert back.receipt_number == 2  # shares the location's receipt sequence
    assert back.entry.kind == EntryKind.REFUND
    assert back.entry.amount == D("20.00")
    assert [(a.credit_id, a.amount) for a in back.entry.paid_by.all()] == [
        (payment.entry_id, D("20.00"))
    ]
    assert back.processor_transaction_id.startswith("tp_")
    original = processor.lookup(payment.card_attempts.get().reference)
    assert original.refunded == D("20.00")
    assert (
        services.refund_issue(
            actor=biller,
            account=account,
            location=location,
            amount="20.00",
            method="card",
            reason="Overpaid copay",
            payment=payment,
            idempotency_key=k,
        ).pk
        == back.pk
    )
    with pytest.raises(Conflict) as caught:
        services.refund_issue(
            actor=biller,
            account=account,
            location=location,
            amount="10.00",
            method="card",
            reason="Overpaid copay",
            payment=payment,
            idempotency_key=k,
        )
    assert caught.value.code == "idempotency_mismatch"
    with pytest.raises(ValidationFailed) as caught:
        services.refund_issue(
            actor=biller,
            account=account,
            location=location,
            amount="10.00",
            method="check",
            reason="Rest",
            idempotency_key=key(),
        )
    assert caught.value.fields["check_number"] == [services.MSG_CHECK_NUMBER]
    rest = services.refund_issue(
        actor=biller,
        account=account,
        location=location,
        amount="10.00",
        method="cash",
        reason="Rest of the overpayment",
        idempotency_key=key(),
    )
    assert rest.drawer == biller_drawer
    assert rest.receipt_number == 3
    assert ledger_selectors.account_balances(account=account).unapplied == D("0.00")
    assert ledger_selectors.patient_balance_due(patient=patient) == D("0.00")
    assert Refund.objects.count() == 2
    assert AuditEvent.objects.filter(detail__event="refund_issued").count() == 2


def test_receipt_numbers_are_gapless_per_location(clerk, location, patient, drawer, make_user):
    from tests.factories import assign

    for expected in (1, 2, 3):
        assert take(clerk, location, patient, [cash("1.00")]).receipt_number == expected
    other = LocationFactory()
    assign(clerk, other)
    DrawerSessionFactory(location=other, user=clerk, workstation="Desk Z")
    assert take(clerk, other, patient, [cash("1.00")]).receipt_number == 1


@pytest.mark.parametrize(
    ("amount", "tendered", "change"),
    [("19.99", "20.00", "0.01"), ("0.07", "0.10", "0.03"), ("73.57", "100.00", "26.43")],
)
def test_change_to_the_cent_is_accepted_on_every_database(
    clerk, location, patient, drawer, amount, tendered, change
):
    payment = take(clerk, location, patient, [cash(amount, tendered=tendered)])
    tender = payment.tenders.get()
    assert (tender.cash_tendered, tender.change_given) == (D(tendered), D(change))
