"""PostgreSQL: a process killed between the processor's approval and our commit.

A real child process takes a card payment and dies (``os._exit``) right after the processor approved
the charge and before the completing transaction: the payment and its card attempt are left pending
(they were committed before the call), the processor holds one approved charge. The reconciliation
completes the payment from the processor's record; nothing is charged twice.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.ledger import selectors as ledger_selectors
from frontdesk.ledger.choices import ChargeCode, EntryKind
from frontdesk.ledger.models import LedgerEntry
from frontdesk.ledger.services import charge_post
from frontdesk.payments import services
from frontdesk.payments.choices import CardAttemptStatus, PaymentStatus
from frontdesk.payments.models import CardAttempt, Payment
from frontdesk.payments.processor import TestProcessor
from tests.factories import (
    DrawerSessionFactory,
    LocationFactory,
    PatientFactory,
    UserFactory,
    assign,
)

CHILD = textwrap.dedent(
    """
    import os, sys
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "frontdesk.settings"
    django.setup()
    from frontdesk.accounts.models import User
    from frontdesk.patients.models import Patient
    from frontdesk.payments import services
    from frontdesk.practice.models import Location

    def die(attempt):
        os._exit(9)  # killed: no cleanup, no rollback handlers, no further writes

    services._after_processor_answer = die
    clerk, patient, location = sys.argv[1:4]
    services.payment_take(
        actor=User.objects.get(pk=clerk),
        patient=Patient.objects.get(pk=patient),
        location=Location.objects.get(pk=location),
        tenders=[services.TenderInput(kind="card", amount="25.00", card_token="tok_visa_approve")],
        idempotency_key="crash-test-key",
    )
    os._exit(0)
    """
)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the child process needs a database it can reach (PostgreSQL)")


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_after_the_approval_is_completed_once_by_the_reconciliation(
    settings, tmp_path
):
    settings.FRONTDESK_TEST_PROCESSOR_DIR = str(tmp_path / "processor")
    location = LocationFactory()
    clerk = assign(UserFactory(role=Role.FRONT_DESK), location)
    biller = assign(UserFactory(role=Role.BILLING), location)
    patient = PatientFactory()
    DrawerSessionFactory(location=location, user=clerk)
    charge_post(
        actor=biller, patient=patient, location=location, code=ChargeCode.COPAY, amount="25.00"
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "FRONTDESK_DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "FRONTDESK_DATA_DIR": str(django_settings.DATA_DIR),
        "FRONTDESK_TEST_PROCESSOR_DIR": str(tmp_path / "processor"),
    }
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(clerk.pk), str(patient.pk), str(location.pk)],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == 9, child.stderr.decode()[-2000:]

    payment = Payment.objects.get(idempotency_key="crash-test-key")
    attempt = CardAttempt.objects.get(payment=payment)
    assert (payment.status, attempt.status) == (PaymentStatus.PENDING, CardAttemptStatus.PENDING)
    assert payment.receipt_number is None
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 0
    processor = TestProcessor(tmp_path / "processor")
    assert [(c.reference, c.status, c.amount) for c in processor.charges()] == [
        (attempt.reference, "approved", Decimal("25.00"))
    ]

    later = attempt.started_at + services.RECONCILE_GRACE + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert services.payment_reconcile() == {"completed": 1, "declined": 0, "unanswered": 0}
        assert services.payment_reconcile() == {"completed": 0, "declined": 0, "unanswered": 0}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.receipt_number == 1
    assert payment.entry.amount == Decimal("-25.00")
    assert ledger_selectors.patient_balance_due(patient=patient) == Decimal("0.00")
    assert len(processor.charges()) == 1  # one charge, never a second
    assert CardAttempt.objects.count() == 1
    assert AuditEvent.objects.filter(detail__event="payment_taken").count() == 1
