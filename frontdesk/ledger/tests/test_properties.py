"""Property: for any sequence of ledger operations, balances are the sum of entries and the open-item
view agrees with them (sum of entries == open debits - unapplied credits, per bucket)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.accounts.choices import Role
from frontdesk.core.errors import DomainError
from frontdesk.core.money import ZERO
from frontdesk.ledger import selectors, services
from frontdesk.ledger.choices import Bucket, ChargeCode, EntryKind, PaymentSource
from frontdesk.ledger.models import LedgerEntry
from tests.factories import LocationFactory, PatientFactory, UserFactory, assign

cents = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)
operation = st.one_of(
    st.tuples(st.just("charge"), cents, st.sampled_from(Bucket.values)),
    st.tuples(st.just("pay"), cents, st.booleans()),
    st.tuples(st.just("adjust"), cents, st.booleans()),
    st.tuples(st.just("transfer"), cents, st.integers(min_value=0, max_value=30)),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=30), st.just(None)),
)


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_balance_is_the_sum_of_entries_for_any_sequence(ops: list[tuple[Any, Any, Any]]) -> None:
    location = LocationFactory()
    actor = assign(UserFactory(role=Role.PRACTICE_MANAGER), location)
    patient = PatientFactory()
    account = services.account_for_patient(patient=patient)
    entries: list[LedgerEntry] = []
    for name, first, second in ops:
        try:
            if name == "charge":
                entries.append(
                    services.charge_post(
                        actor=actor,
                        patient=patient,
                        location=location,
                        code=ChargeCode.VISIT,
                        amount=first,
                        bucket=second,
                    )
                )
            elif name == "pay":
                posting = services.Posting(
                    kind=EntryKind.PAYMENT,
                    code=PaymentSource.PATIENT,
                    amount=-first,
                    location=location,
                )
                payment = services.entry_post(actor=actor, account=account, posting=posting)
                entries.append(payment)
                if second:
                    services.allocate(actor=actor, credit=payment)
            elif name == "adjust":
                entries.append(
                    services.adjustment_post(
                        actor=actor,
                        account=account,
                        location=location,
                        code="courtesy",
                        amount=-first if second else first,
                        reason="property test",
                    )
                )
            elif name == "transfer" and entries:
                target = entries[second % len(entries)]
                if target.kind == EntryKind.CHARGE:
                    open_now = selectors.open_amounts(account=account, entries=[target])[target.pk]
                    amount = min(first, open_now)
                    if amount > 0:
                        bucket = (
                            Bucket.PATIENT
                            if target.bucket == Bucket.INSURANCE
                            else Bucket.INSURANCE
                        )
                        entries.extend(
                            services.transfer_post(
                                actor=actor,
                                charge=target,
                                amount=amount,
                                to_bucket=bucket,
                                reason="property test",
                            )
                        )
            elif name == "reverse" and entries:
                target = entries[first % len(entries)]
                services.entry_reverse(actor=actor, entry=target, reason="property test")
        except DomainError:
            pass  # refused operations (already reversed, ...) must leave no trace: checked below

        rows = list(LedgerEntry.objects.filter(account=account))
        balances = selectors.account_balances(account=account)
        assert balances.total == sum((r.amount for r in rows), ZERO)
        for bucket, balance in [
            (Bucket.PATIENT, balances.patient),
            (Bucket.INSURANCE, balances.insurance),
        ]:
            assert balance == sum((r.amount for r in rows if r.bucket == bucket), ZERO)
            debits = selectors.open_amounts(account=account, bucket=bucket, debits=True)
            credits = selectors.open_amounts(account=account, bucket=bucket, debits=False)
            assert all(amount > 0 for _, amount in debits + credits)
            assert balance == sum((a for _, a in debits), ZERO) - sum((a for _, a in credits), ZERO)
        lines = selectors.account_lines(account=account)
        assert (lines[-1].running if lines else ZERO) == balances.patient
