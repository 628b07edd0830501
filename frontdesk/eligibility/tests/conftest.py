"""Fixtures of the eligibility tests: a clinic in New York on Monday 7 December 2026, a patient with a
coverage and appointments, and a fake payer behind the clearinghouse seam that answers real X12 (the
270 FrontDesk wrote is read back and answered with a 271 built by the codec's write_271)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.choices import Role
from frontdesk.clearinghouse.transports import TransportError
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    CoverageFactory,
    PatientFactory,
    PayerFactory,
    ProviderFactory,
)

NY = dt.timezone(dt.timedelta(hours=-5))
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=NY)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=NY)


@pytest.fixture
def now() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clerk(make_user: Callable[..., Any], location: Any) -> Any:
    return make_user(Role.FRONT_DESK, location)


@pytest.fixture
def biller(make_user: Callable[..., Any], location: Any) -> Any:
    return make_user(Role.BILLING, location)


class Clinic:
    def __init__(self, location: Any) -> None:
        self.location = location
        self.provider = ProviderFactory(first_name="Ada", last_name="Examplia")
        self.provider.locations.add(location)
        self.type = AppointmentTypeFactory(name="Office visit", duration_minutes=20)
        self.payer = PayerFactory(name="Zz Example Health", payer_id="ZZ001")

    def patient(self, **fields: Any) -> Any:
        fields.setdefault("first_name", "Zoe")
        fields.setdefault("last_name", "Zzexample")
        return PatientFactory(**fields)

    def coverage(self, patient: Any, **fields: Any) -> Any:
        fields.setdefault("payer", self.payer)
        fields.setdefault("member_id", f"ZM{patient.pk:07d}")
        fields.setdefault("copay_primary_care", Decimal("40.00"))
        fields.setdefault("effective_on", dt.date(2026, 1, 1))
        return CoverageFactory(patient=patient, **fields)

    def book(self, patient: Any, start: dt.datetime, **fields: Any) -> Any:
        return AppointmentFactory(
            patient=patient,
            provider=self.provider,
            location=self.location,
            appointment_type=self.type,
            starts_at=start,
            **fields,
        )


@pytest.fixture
def clinic(location: Any) -> Clinic:
    return Clinic(location)


def standard_benefits() -> tuple[Any, ...]:
    from frontdesk.standards.x12.eligibility import Benefit

    return (
        Benefit(
            code="1", coverage_level="IND", service_types=("30",), plan_description="Zz Gold PPO"
        ),
        Benefit(
            code="B",
            coverage_level="IND",
            service_types=("98",),
            time_period="27",
            amount=Decimal("25.00"),
            in_network="Y",
        ),
        Benefit(
            code="A",
            coverage_level="IND",
            service_types=("98",),
            percent=Decimal("0.2"),
            in_network="Y",
        ),
        Benefit(
            code="C",
            coverage_level="IND",
            service_types=("30",),
            time_period="23",
            amount=Decimal("1500.00"),
            in_network="Y",
        ),
        Benefit(
            code="C",
            coverage_level="IND",
            service_types=("30",),
            time_period="29",
            amount=Decimal("1200.00"),
            in_network="Y",
        ),
        Benefit(
            code="G",
            coverage_level="IND",
            service_types=("30",),
            time_period="23",
            amount=Decimal("5000.00"),
            in_network="Y",
        ),
        Benefit(
            code="G",
            coverage_level="IND",
            service_types=("30",),
            time_period="29",
            amount=Decimal("4100.00"),
            in_network="Y",
        ),
    )


def header_271() -> Any:
    from frontdesk.standards.x12.envelope import EnvelopeHeader

    return EnvelopeHeader(
        sender_id="ZZPAYER",
        receiver_id="FRONTDESK",
        interchange_control_number=7001,
        group_control_number=7001,
        functional_id="HB",
        version="005010X279A1",
        created_at=dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC),
    )


def response_for(inquiry: Any, *, mode: str = "active") -> Any:
    """The payer's answer to one inquiry."""
    from frontdesk.standards.x12.eligibility import (
        Benefit,
        EligibilityResponse,
        Rejection,
    )

    subscriber = inquiry.subscriber
    dependent = inquiry.dependent
    benefits: tuple[Any, ...] = standard_benefits()
    rejections: tuple[Any, ...] = ()
    if mode == "wrong_member":
        subscriber = replace(subscriber, member_id="ZZOTHER99", last_name="Zzotherperson")
    elif mode == "inactive":
        benefits = (Benefit(code="6", coverage_level="IND", service_types=("30",)),)
    elif mode == "rejected":
        benefits = ()
        rejections = (
            Rejection(
                loop="2100C",
                valid="N",
                reason="75",
                follow_up="C",
                message="Subscriber not found — check the member ID and date of birth.",
            ),
        )
    return EligibilityResponse(
        control_number="0001",
        trace_numbers=(inquiry.trace_number,),
        payer_name=inquiry.payer_name,
        payer_id=inquiry.payer_id,
        provider_name=inquiry.provider_name,
        provider_npi=inquiry.provider_npi,
        subscriber=replace(subscriber, group_number="GRP-100", group_name="Zz Example Employer"),
        dependent=dependent,
        benefits=benefits,
        rejections=rejections,
        plan_begin=dt.date(2026, 1, 1),
        plan_end=dt.date(2026, 12, 31),
        plan_name="Zz Gold PPO" if not rejections else "",
    )


class FakePayer:
    """A clearinghouse Transport (the contract's protocol) whose payer reads the 270 and answers as
    ``mode`` says; the real ``exchange_realtime`` logs both files and records the disclosure."""

    name = "fake"

    def __init__(self) -> None:
        self.mode = "active"
        self.sent: list[str] = []

    def realtime(self, payload: str, *, timeout: float = 20.0) -> str:
        return self.answer(payload)

    def submit(self, filename: str, payload: str) -> None:
        raise TransportError("Batch files are not used by these tests.")

    def collect(self) -> list[Any]:
        return []

    def answer(self, payload: str) -> str:
        from frontdesk.standards.x12.eligibility import read_270, write_271

        self.sent.append(payload)
        if self.mode == "down":
            raise TransportError("The clearinghouse did not answer within 20 s.")
        if self.mode == "garbage":
            return "<html><body>502 Bad Gateway</body></html>"
        inquiries = read_270(payload)
        if self.mode == "other_trace":
            inquiries = [replace(i, trace_number="SOMEONEELSE1") for i in inquiries]
        return write_271([response_for(i, mode=self.mode) for i in inquiries], header_271())

    @property
    def last_inquiry(self) -> Any:
        from frontdesk.standards.x12.eligibility import read_270

        return read_270(self.sent[-1])[0]


@pytest.fixture
def payer(monkeypatch: pytest.MonkeyPatch) -> FakePayer:
    from frontdesk.clearinghouse import services as clearinghouse

    fake = FakePayer()
    monkeypatch.setattr(clearinghouse, "get_transport", lambda: fake)
    return fake
