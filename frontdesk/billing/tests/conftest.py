"""Fixtures for billing: a clinic seen on Monday 7 December 2026 (New York), billed the same day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from frontdesk.accounts.choices import Role
from frontdesk.billing import services
from frontdesk.billing.models import Claim
from tests.factories import (
    AppointmentFactory,
    CoverageFactory,
    LocationFactory,
    OrganizationFactory,
    PatientFactory,
    PayerFactory,
    ProviderFactory,
)

NY = dt.timezone(dt.timedelta(hours=-5))
NOW = dt.datetime(2026, 12, 7, 13, 0, tzinfo=NY)
DOS = dt.date(2026, 12, 7)


@pytest.fixture
def now() -> Iterator[dt.datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


class Clinic:
    """A practice billing for one location: organization, provider, payer, insured patient."""

    def __init__(self, make_user: Callable[..., Any]) -> None:
        self.organization = OrganizationFactory(
            name="Example Family Medicine (synthetic)",
            tax_id="12-3456789",
            address_line1="1 Example Way",
            city="Springfield",
            state="IL",
            postal_code="62701-1234",
            phone="2175550100",
        )
        self.location = LocationFactory(organization=self.organization)
        self.provider = ProviderFactory(first_name="Ada", last_name="Examplia")
        self.provider.locations.add(self.location)
        self.payer = PayerFactory(name="Example Health Plan", payer_id="EXHP1")
        self.biller = make_user(Role.BILLING, self.location)
        self.doctor_user = make_user(Role.PROVIDER, self.location)
        self.clerk = make_user(Role.FRONT_DESK, self.location)
        # The practice's code list and standard charges (CPT codes are imported by the practice).
        from frontdesk.coding.models import FeeSchedule, FeeScheduleEntry, ProcedureCode

        for code in ("99213", "36415"):
            ProcedureCode.objects.create(code=code, kind="cpt", description=f"Sample {code}")
        standard = FeeSchedule.objects.create(
            name="Standard charges", effective_from=dt.date(2026, 1, 1)
        )
        FeeScheduleEntry.objects.create(schedule=standard, code="99213", amount=Decimal("125.00"))

    def patient(self, *, insured: bool = True, **fields: Any) -> Any:
        values = {
            "address_line1": "12 Sample Street",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62704",
            **fields,
        }
        patient = PatientFactory(**values)
        if insured:
            CoverageFactory(patient=patient, payer=self.payer, group_number="GRP1")
        return patient

    def visit(self, patient: Any = None, *, status: str = "arrived", hour: int = 10) -> Any:
        return AppointmentFactory(
            patient=patient or self.patient(),
            provider=self.provider,
            location=self.location,
            starts_at=dt.datetime(2026, 12, 7, hour, 0, tzinfo=NY),
            status=status,
        )

    def enter(self, appointment: Any, *, actor: Any = None, **overrides: Any) -> Any:
        data = services.EncounterInput(
            diagnoses=overrides.pop("diagnoses", ("E11.9", "I10")),
            lines=overrides.pop(
                "lines",
                (
                    services.LineInput("99213", "125.00", "1", (), (1, 2)),
                    services.LineInput("36415", "15.00", "1", (), (1,)),
                ),
            ),
            **overrides,
        )
        return services.encounter_save(
            actor=actor or self.biller, appointment=appointment, data=data
        )

    def claim(self, appointment: Any = None, **kwargs: Any) -> Claim:
        encounter = self.enter(appointment or self.visit(), **kwargs)
        return Claim.objects.get(encounter=encounter)


@pytest.fixture
def clinic(db: None, make_user: Callable[..., Any], now: dt.datetime) -> Clinic:
    return Clinic(make_user)


def money(text: str) -> Decimal:
    return Decimal(text)
