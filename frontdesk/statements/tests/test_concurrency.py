"""Statement runs at once still make one statement per account per cycle (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.ledger import services as ledger
from frontdesk.ledger.choices import ChargeCode
from frontdesk.statements import services
from frontdesk.statements.models import Statement, StatementRun
from tests.factories import LocationFactory, PatientFactory, UserFactory, assign

RUNS = 4

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers at BEGIN IMMEDIATE (the test database is shared-cache memory)",
)


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_make_one_statement_per_account() -> None:
    location = LocationFactory()
    biller = assign(UserFactory(role=Role.BILLING), location)
    for n in range(3):
        ledger.charge_post(
            actor=biller,
            patient=PatientFactory(),
            location=location,
            code=ChargeCode.VISIT,
            amount=f"{20 + n}",
        )
    runs = [
        StatementRun.objects.create(cycle_date=timezone.localdate(), started_by=biller)
        for _ in range(RUNS)
    ]
    start = threading.Barrier(RUNS)
    failures: list[str] = []

    def execute(run_id: int) -> None:
        try:
            start.wait()
            services.statement_run_execute(run_id=run_id)
        except Exception as exc:  # collected and asserted below
            failures.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=execute, args=(run.pk,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert Statement.objects.count() == 3
    done = list(StatementRun.objects.values_list("created", "skipped"))
    assert sum(created for created, _ in done) == 3
    assert sum(skipped for _, skipped in done) == 3 * (RUNS - 1)
