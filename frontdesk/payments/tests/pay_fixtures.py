"""Fixtures for pay's tests (imported by each test_pay_* module): a clinic, a clerk with an open
drawer, a patient with charges, and the test card processor keeping its books in a temp dir."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.choices import Role
from frontdesk.ledger import services as ledger_services
from frontdesk.ledger.choices import ChargeCode
from frontdesk.payments.processor import TestProcessor
from frontdesk.payments.services import TenderInput
from tests.factories import DrawerSessionFactory, PatientFactory

D = Decimal
NY = dt.timezone(dt.timedelta(hours=-5))
NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=NY)


@pytest.fixture(autouse=True)
def processor_dir(settings: Any, tmp_path: Any) -> Any:
    settings.FRONTDESK_CARD_PROCESSOR = "test"
    settings.FRONTDESK_TEST_PROCESSOR_DIR = str(tmp_path / "processor")
    return tmp_path / "processor"


@pytest.fixture
def processor(processor_dir: Any) -> TestProcessor:
    return TestProcessor(processor_dir)


@pytest.fixture
def now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def clerk(make_user: Any, location: Any) -> Any:
    return make_user(Role.FRONT_DESK, location)


@pytest.fixture
def biller(make_user: Any, location: Any) -> Any:
    return make_user(Role.BILLING, location)


@pytest.fixture
def drawer(clerk: Any, location: Any, now: Any) -> Any:
    return DrawerSessionFactory(location=location, user=clerk, workstation="Desk A")


@pytest.fixture
def biller_drawer(biller: Any, location: Any, now: Any) -> Any:
    return DrawerSessionFactory(location=location, user=biller, workstation="Desk B")


@pytest.fixture
def patient(db: None) -> Any:
    return PatientFactory()


@pytest.fixture
def charge(biller: Any, location: Any, now: Any) -> Any:
    """Post a patient charge: ``charge(patient, "25.00", code=...)``."""

    def post(patient: Any, amount: str, code: str = ChargeCode.COPAY, days_ago: int = 0) -> Any:
        return ledger_services.charge_post(
            actor=biller,
            patient=patient,
            location=location,
            code=code,
            amount=amount,
            service_date=NOW.date() - dt.timedelta(days=days_ago),
        )

    return post


def key() -> str:
    return f"test-{uuid.uuid4().hex}"


def cash(amount: str, tendered: str | None = None) -> TenderInput:
    return TenderInput(kind="cash", amount=amount, cash_tendered=tendered)


def card(amount: str, token: str = "tok_visa_approve") -> TenderInput:
    return TenderInput(kind="card", amount=amount, card_token=token)


def check(amount: str, number: str = "1042") -> TenderInput:
    return TenderInput(kind="check", amount=amount, check_number=number, check_bank="Example Bank")
