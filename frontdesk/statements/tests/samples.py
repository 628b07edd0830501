"""Sample rows for the URL walks (policy matrix, security tests)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.ledger import services as ledger
from frontdesk.ledger.choices import ChargeCode
from frontdesk.statements import services
from frontdesk.statements.choices import PlanFrequency
from frontdesk.statements.models import Instalment, PaymentPlan, StatementRun
from tests.factories import UserFactory


def _manager(objects: dict[str, Any]) -> Any:
    if "statements_manager" not in objects:
        objects["statements_manager"] = UserFactory(role=Role.PRACTICE_MANAGER)
    return objects["statements_manager"]


def sample_charge(objects: dict[str, Any]) -> Any:
    """A $60 charge on the sample patient's account at the sample location."""
    if "ledger_charge" not in objects:
        objects["ledger_charge"] = ledger.charge_post(
            actor=_manager(objects),
            patient=objects["patient"],
            location=objects["location"],
            code=ChargeCode.VISIT,
            amount="60",
        )
    return objects["ledger_charge"]


def sample_account(objects: dict[str, Any]) -> Any:
    return sample_charge(objects).account


def sample_statement(objects: dict[str, Any]) -> Any:
    if "statement" not in objects:
        objects["statement"] = services.statement_create(
            actor=_manager(objects),
            account=sample_account(objects),
            cycle_date=timezone.localdate(),
        )
    return objects["statement"]


def sample_run(objects: dict[str, Any]) -> Any:
    if "statement_run" not in objects:
        objects["statement_run"] = StatementRun.objects.create(
            cycle_date=timezone.localdate(), started_by=_manager(objects)
        )
    return objects["statement_run"]


def sample_plan(objects: dict[str, Any]) -> Any:
    if "payment_plan" not in objects:
        today = timezone.localdate()
        plan = PaymentPlan.objects.create(
            account=sample_account(objects),
            total=Decimal("60.00"),
            instalment_count=2,
            frequency=PlanFrequency.MONTHLY,
            start_date=today,
            counts_from=timezone.now(),
            created_by=_manager(objects),
        )
        for number, due in enumerate(services.due_dates(today, 2, PlanFrequency.MONTHLY), 1):
            Instalment.objects.create(
                plan=plan, number=number, due_date=due, amount=Decimal("30.00")
            )
        objects["payment_plan"] = plan
    return objects["payment_plan"]
