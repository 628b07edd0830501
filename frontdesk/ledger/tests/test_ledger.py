"""The ledger: signed, append-only entries; reversals; allocations; closed days; balances."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from stdnum import luhn

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from frontdesk.ledger import selectors, services
from frontdesk.ledger.choices import (
    AdjustmentCode,
    Bucket,
    ChargeCode,
    DayState,
    EntryKind,
    PaymentSource,
)
from frontdesk.ledger.errors import AlreadyReversed, DayClosed
from frontdesk.ledger.models import Allocation, LedgerDay, LedgerEntry
from frontdesk.patients.choices import GuarantorKind
from tests.factories import LocationFactory, PatientFactory

D = Decimal


@pytest.fixture
def biller(make_user: Any, location: Any) -> Any:
    return make_user(Role.BILLING, location)


@pytest.fixture
def patient(db: None) -> Any:
    return PatientFactory()


def pay(actor: Any, account: Any, location: Any, amount: str) -> LedgerEntry:
    posting = services.Posting(
        kind=EntryKind.PAYMENT, code=PaymentSource.PATIENT, amount=-D(amount), location=location
    )
    return services.entry_post(actor=actor, account=account, posting=posting)


def test_a_charge_lands_on_the_guarantors_account_and_is_audited(
    biller: Any, location: Any
) -> None:
    parent = PatientFactory()
    child = PatientFactory(guarantor_kind=GuarantorKind.PATIENT, guarantor_patient=parent)
    before = AuditEvent.objects.count()
    charge = services.charge_post(
        actor=biller, patient=child, location=location, code=ChargeCode.COPAY, amount="25"
    )
    assert charge.account.holder == parent
    assert charge.patient == child
    assert charge.amount == D("25.00")
    assert charge.bucket == Bucket.PATIENT
    assert charge.description == "Copay"
    assert charge.posting_date == services.business_date(location, charge.posted_at)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("sequence")
    assert event.detail["event"] == "charge_posted"
    assert event.detail["amount"] == "25.00"
    assert event.patient_id == child.pk
    assert selectors.patient_balance_due(patient=child) == D("25.00")
    assert selectors.patient_balance_due(patient=parent) == D("25.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "Enter an amount greater than zero."),
        ("-5", "Enter an amount greater than zero."),
        ("12.345", "Amounts have at most two decimal places (cents)."),
        ("abc", "Enter an amount like 25 or 25.00."),
    ],
)
def test_bad_charge_amounts_are_refused_and_nothing_is_written(
    biller: Any, patient: Any, location: Any, amount: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.charge_post(
            actor=biller, patient=patient, location=location, code=ChargeCode.COPAY, amount=amount
        )
    assert caught.value.fields == {"amount": [message]}
    assert LedgerEntry.objects.count() == 0


def test_a_card_number_in_a_memo_is_refused(biller: Any, patient: Any, location: Any) -> None:
    body = "4" + "1" * 14
    pan = body + luhn.calc_check_digit(body)
    spaced = " ".join(pan[i : i + 4] for i in range(0, 16, 4))
    with pytest.raises(ValidationFailed) as caught:
        services.charge_post(
            actor=biller,
            patient=patient,
            location=location,
            code=ChargeCode.OTHER,
            amount="10",
            memo=f"paid with {spaced}",
        )
    assert caught.value.fields == {"memo": [services.MSG_CARD_NUMBER]}
    assert LedgerEntry.objects.count() == 0


def test_front_desk_cannot_post_charges_and_other_locations_are_out_of_scope(
    make_user: Any, patient: Any, location: Any
) -> None:
    desk = make_user(Role.FRONT_DESK, location)
    with pytest.raises(PermissionDenied):
        services.charge_post(
            actor=desk, patient=patient, location=location, code=ChargeCode.COPAY, amount="5"
        )
    elsewhere = make_user(Role.BILLING, LocationFactory())
    with pytest.raises(NotFound):
        services.charge_post(
            actor=elsewhere, patient=patient, location=location, code=ChargeCode.COPAY, amount="5"
        )


def test_the_database_refuses_wrong_signs_and_zero(
    biller: Any, patient: Any, location: Any
) -> None:
    account = services.account_for_patient(patient=patient)
    common = {
        "account": account,
        "location": location,
        "code": "x",
        "posting_date": dt.date(2026, 11, 27),
        "posted_at": dt.datetime(2026, 11, 27, 15, tzinfo=dt.UTC),
        "posted_by": biller,
    }
    for kind, amount in [
        (EntryKind.CHARGE, D("-1")),
        (EntryKind.PAYMENT, D("1")),
        (EntryKind.REFUND, D("-1")),
        (EntryKind.ADJUSTMENT, D("0")),
    ]:
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerEntry.objects.create(kind=kind, amount=amount, reason="r", **common)


def test_a_reversal_points_at_the_original_once_and_frees_its_allocations(
    biller: Any, patient: Any, location: Any
) -> None:
    charge = services.charge_post(
        actor=biller, patient=patient, location=location, code=ChargeCode.COPAY, amount="40"
    )
    account = charge.account
    payment = pay(biller, account, location, "40")
    services.allocate(actor=biller, credit=payment)
    assert selectors.open_amounts(account=account, entries=[charge, payment]) == {
        charge.pk: D("0.00"),
        payment.pk: D("0.00"),
    }
    reversal = services.entry_reverse(actor=biller, entry=payment, reason="Entered twice")
    assert reversal.kind == EntryKind.PAYMENT
    assert reversal.amount == D("40.00")
    assert reversal.reverses == payment
    assert reversal.reason == "Entered twice"
    # The charge is open again; the payment is gone from the unapplied credits.
    assert selectors.open_amounts(account=account, entries=[charge, payment]) == {
        charge.pk: D("40.00"),
        payment.pk: D("0.00"),
    }
    assert selectors.account_balances(account=account).patient == D("40.00")
    with pytest.raises(AlreadyReversed):
        services.entry_reverse(actor=biller, entry=payment, reason="again")
    with pytest.raises(Conflict) as caught:
        services.entry_reverse(actor=biller, entry=reversal, reason="undo the undo")
    assert caught.value.code == "reverse_reversal"
    with pytest.raises(ValidationFailed):
        services.entry_reverse(actor=biller, entry=charge, reason="  ")


def test_oldest_first_allocation_and_over_allocation_refused(
    biller: Any, patient: Any, location: Any
) -> None:
    first = services.charge_post(
        actor=biller,
        patient=patient,
        location=location,
        code=ChargeCode.VISIT,
        amount="30",
        service_date=dt.date(2026, 10, 1),
    )
    second = services.charge_post(
        actor=biller,
        patient=patient,
        location=location,
        code=ChargeCode.COPAY,
        amount="20",
        service_date=dt.date(2026, 11, 1),
    )
    account = first.account
    payment = pay(biller, account, location, "45")
    allocations = services.allocate(actor=biller, credit=payment)
    assert [(a.debit_id, a.amount) for a in allocations] == [
        (first.pk, D("30.00")),
        (second.pk, D("15.00")),
    ]
    extra = pay(biller, account, location, "10")
    with pytest.raises(Conflict) as caught:
        services.allocate(actor=biller, credit=extra, targets=[(second, "6")])
    assert caught.value.code == "over_debit"
    assert Allocation.objects.filter(credit=extra).count() == 0
    services.allocate(actor=biller, credit=extra, targets=[(second, "5")])
    balances = selectors.account_balances(account=account)
    assert balances.patient == D("-5.00")
    assert balances.unapplied == D("5.00")


def test_a_credit_adjustment_applied_to_a_charge(biller: Any, patient: Any, location: Any) -> None:
    charge = services.charge_post(
        actor=biller, patient=patient, location=location, code=ChargeCode.VISIT, amount="12.50"
    )
    adjustment = services.adjustment_post(
        actor=biller,
        account=charge.account,
        location=location,
        code=AdjustmentCode.SMALL_BALANCE,
        amount="-12.50",
        reason="Below statement threshold",
        apply_to=charge,
    )
    assert adjustment.amount == D("-12.50")
    assert selectors.open_amounts(account=charge.account, debits=True) == []
    assert selectors.account_balances(account=charge.account).patient == D("0.00")
    with pytest.raises(ValidationFailed) as caught:
        services.adjustment_post(
            actor=biller,
            account=charge.account,
            location=location,
            code=AdjustmentCode.COURTESY,
            amount="-1",
            reason="",
        )
    assert caught.value.fields == {"reason": [services.MSG_REASON]}


def test_transfer_moves_responsibility_and_reverses_as_a_pair(
    biller: Any, patient: Any, location: Any
) -> None:
    charge = services.charge_post(
        actor=biller,
        patient=patient,
        location=location,
        code=ChargeCode.VISIT,
        amount="100",
        bucket=Bucket.INSURANCE,
    )
    credit, debit = services.transfer_post(
        actor=biller,
        charge=charge,
        amount="30",
        to_bucket=Bucket.PATIENT,
        reason="Deductible per ERA",
    )
    balances = selectors.account_balances(account=charge.account)
    assert (balances.insurance, balances.patient, balances.total) == (
        D("70.00"),
        D("30.00"),
        D("100.00"),
    )
    services.entry_reverse(actor=biller, entry=debit, reason="Wrong claim")
    balances = selectors.account_balances(account=charge.account)
    assert (balances.insurance, balances.patient) == (D("100.00"), D("0.00"))
    assert LedgerEntry.objects.filter(reverses__in=[credit, debit]).count() == 2


def test_a_closed_day_refuses_postings_until_a_manager_reopens_it(
    biller: Any, make_user: Any, patient: Any, location: Any
) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, location)
    charge = services.charge_post(
        actor=biller, patient=patient, location=location, code=ChargeCode.COPAY, amount="25"
    )
    today = charge.posting_date
    day = services.ledger_day_lock(actor=biller, location=location, date=today)
    assert day.state == DayState.CLOSED
    assert selectors.day_is_closed(location=location, date=today)
    with pytest.raises(DayClosed):
        services.charge_post(
            actor=biller, patient=patient, location=location, code=ChargeCode.COPAY, amount="5"
        )
    with pytest.raises(DayClosed):
        services.entry_reverse(actor=biller, entry=charge, reason="oops")
    with pytest.raises(PermissionDenied):
        services.ledger_day_reopen(actor=biller, location=location, date=today, reason="late pay")
    with pytest.raises(ValidationFailed):
        services.ledger_day_reopen(actor=manager, location=location, date=today, reason="")
    services.ledger_day_reopen(actor=manager, location=location, date=today, reason="Late payment")
    day.refresh_from_db()
    assert (day.state, day.reopen_count) == (DayState.OPEN, 1)
    services.charge_post(
        actor=biller, patient=patient, location=location, code=ChargeCode.COPAY, amount="5"
    )
    assert LedgerEntry.objects.filter(posting_date=today).count() == 2
    assert list(
        AuditEvent.objects.filter(object_type="ledger_day").values_list("detail__event", flat=True)
    ) == ["day_closed", "day_reopened"]


def test_a_posting_in_another_timezone_lands_on_that_locations_business_day(
    biller: Any, patient: Any
) -> None:
    west = LocationFactory(timezone="America/Los_Angeles")
    biller.role = Role.PRACTICE_MANAGER  # all locations
    biller.save()
    late_evening = dt.datetime(2026, 11, 27, 6, 30, tzinfo=dt.UTC)  # 22:30 on the 26th in LA
    entry = services.charge_post(
        actor=biller,
        patient=patient,
        location=west,
        code=ChargeCode.COPAY,
        amount="10",
        at=late_evening,
    )
    assert entry.posting_date == dt.date(2026, 11, 26)
    assert LedgerDay.objects.get(location=west).date == dt.date(2026, 11, 26)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_to_update_or_delete_an_entry(
    biller: Any, patient: Any, location: Any
) -> None:
    charge = services.charge_post(
        actor=biller, patient=patient, location=location, code=ChargeCode.COPAY, amount="25"
    )
    from django.db import DatabaseError

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=charge.pk).update(amount=D("1"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=charge.pk).delete()
    charge.refresh_from_db()
    assert charge.amount == D("25.00")


def test_balances_for_patients_in_one_query(
    biller: Any, location: Any, django_assert_num_queries: Any
) -> None:
    parent = PatientFactory()
    child = PatientFactory(guarantor_kind=GuarantorKind.PATIENT, guarantor_patient=parent)
    stranger = PatientFactory()
    services.charge_post(
        actor=biller, patient=child, location=location, code=ChargeCode.COPAY, amount="15"
    )
    with django_assert_num_queries(2):
        balances = selectors.balances_for_patients(patient_ids=[parent.pk, child.pk, stranger.pk])
    assert balances == {parent.pk: D("15.00"), child.pk: D("15.00")}


def test_a_restricted_record_is_out_of_reach_without_access(
    biller: Any, location: Any, make_user: Any
) -> None:
    hidden = PatientFactory(is_restricted=True)
    with pytest.raises(NotFound):
        services.charge_post(
            actor=biller, patient=hidden, location=location, code=ChargeCode.COPAY, amount="5"
        )
    assert LedgerEntry.objects.count() == 0
