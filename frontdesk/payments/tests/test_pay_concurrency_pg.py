"""PostgreSQL: ten identical payment requests at once make exactly one payment and one answer."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection

from frontdesk.accounts.choices import Role
from frontdesk.ledger.choices import EntryKind
from frontdesk.ledger.models import LedgerEntry
from frontdesk.payments import services
from frontdesk.payments.models import CardAttempt, Payment, Tender
from frontdesk.payments.processor import TestProcessor
from frontdesk.payments.tests.pay_fixtures import NOW, card, cash, key
from tests.factories import (
    DrawerSessionFactory,
    LocationFactory,
    PatientFactory,
    UserFactory,
    assign,
)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_card", [False, True])
def test_ten_identical_requests_at_once_make_one_payment(with_card, settings, tmp_path):
    settings.FRONTDESK_TEST_PROCESSOR_DIR = str(tmp_path / "processor")
    location = LocationFactory()
    clerk = assign(UserFactory(role=Role.FRONT_DESK), location)
    patient = PatientFactory()
    k = key()
    tenders = [cash("10.00", tendered="20.00")] + ([card("15.00")] if with_card else [])
    barrier = threading.Barrier(10)
    answers: list[Any] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            barrier.wait(timeout=30)
            payment = services.payment_take(
                actor=clerk, patient=patient, location=location, tenders=tenders, idempotency_key=k
            )
            result: Any = (payment.pk, payment.status, payment.response)
        except Exception as exc:
            result = f"error:{type(exc).__name__}:{exc}"
        finally:
            connection.close()
        with lock:
            answers.append(result)

    with time_machine.travel(NOW, tick=False):
        DrawerSessionFactory(location=location, user=clerk)
        threads = [threading.Thread(target=attempt) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert len(answers) == 10
    assert all(not isinstance(a, str) for a in answers), answers
    assert len({a[0] for a in answers}) == 1
    assert {a[1] for a in answers} == {"completed"}
    assert all(a[2] == answers[0][2] for a in answers)
    assert Payment.objects.count() == 1
    assert Tender.objects.count() == len(tenders)
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 1
    total = Decimal("25.00") if with_card else Decimal("10.00")
    assert LedgerEntry.objects.get(kind=EntryKind.PAYMENT).amount == -total
    assert Payment.objects.get().receipt_number == 1
    if with_card:
        assert CardAttempt.objects.count() == 1
        assert len(TestProcessor(tmp_path / "processor").charges()) == 1
