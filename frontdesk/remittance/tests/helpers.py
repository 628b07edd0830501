# mypy: disable-error-code="arg-type, attr-defined, misc, union-attr"
"""Test data: claims made through billing's models (charges on the ledger, insurance bucket), and
835 files written by the codec's ``write_835`` from data mirroring them."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.billing.choices import ClaimStatus
from frontdesk.billing.models import Claim, ClaimLine, Encounter
from frontdesk.ledger import services as ledger
from frontdesk.ledger.choices import Bucket, ChargeCode, EntryKind
from frontdesk.patients.models import Coverage
from frontdesk.standards.x12.claims import Address, Adjustment
from frontdesk.standards.x12.envelope import EnvelopeHeader
from frontdesk.standards.x12.remittance import (
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    write_835,
)
from tests.factories import (
    AppointmentFactory,
    CoverageFactory,
    LocationFactory,
    OrganizationFactory,
    PatientFactory,
    PayerFactory,
    ProviderFactory,
    UserFactory,
    assign,
)

SERVICE_DATE = dt.date(2026, 11, 2)
_numbers = itertools.count(1)


def D(value: str) -> Decimal:
    return Decimal(value)


class World:
    """A location, a payer, a biller (REMITTANCE_POST, DENIAL_WORK) and a provider."""

    def __init__(self, location: Any = None) -> None:
        self.location = location or LocationFactory()
        self.payer = PayerFactory(payer_id=f"PAYR{next(_numbers):04d}")
        self.organization = OrganizationFactory()
        self.provider = ProviderFactory()
        self.biller = assign(UserFactory(role=Role.BILLING), self.location)
        self.front_desk = assign(UserFactory(role=Role.FRONT_DESK), self.location)


def make_claim(
    world: World,
    lines: Sequence[tuple[str, Sequence[str], str]],
    *,
    patient: Any = None,
    status: str = ClaimStatus.SENT,
    secondary: bool = False,
) -> Claim:
    """A sent claim whose lines each have a charge on the ledger (insurance bucket)."""
    patient = patient or PatientFactory()
    coverage = Coverage.objects.filter(patient=patient, priority=1).first() or CoverageFactory(
        patient=patient, payer=world.payer
    )
    if secondary:
        CoverageFactory(patient=patient, payer=PayerFactory(), priority=2)
    # One provider is in one place at a time (PostgreSQL's exclusion constraint): an hour apart.
    appointment = AppointmentFactory(
        patient=patient,
        location=world.location,
        provider=world.provider,
        starts_at=dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC)
        + dt.timedelta(hours=next(_numbers)),
    )
    encounter = Encounter.objects.create(
        appointment=appointment,
        patient=patient,
        location=world.location,
        rendering_provider=world.provider,
        billing_organization=world.organization,
        place_of_service="11",
        service_date=SERVICE_DATE,
        diagnoses=["J069"],
        entered_by=world.biller,
    )
    number = next(_numbers)
    total = sum((D(charge) for _, _, charge in lines), Decimal("0.00"))
    claim = Claim.objects.create(
        claim_id=f"FDT{number:07d}",
        encounter=encounter,
        patient=patient,
        location=world.location,
        coverage=coverage,
        payer=world.payer,
        status=status,
        rendering_provider=world.provider,
        billing_organization=world.organization,
        place_of_service="11",
        service_date=SERVICE_DATE,
        diagnoses=["J069"],
        total_charge=total,
        created_by=world.biller,
    )
    account = ledger.account_for_patient(patient=patient)
    for index, (code, modifiers, charge) in enumerate(lines, start=1):
        entry = ledger.entry_post(
            actor=world.biller,
            account=account,
            posting=ledger.Posting(
                kind=EntryKind.CHARGE,
                code=ChargeCode.VISIT,
                amount=D(charge),
                location=world.location,
                bucket=Bucket.INSURANCE,
                patient=patient,
                service_date=SERVICE_DATE,
                description=f"{code} visit",
            ),
            audit=False,
        )
        ClaimLine.objects.create(
            claim=claim,
            line_number=index,
            line_control_number=f"{claim.claim_id}-{index}",
            procedure_code=code,
            modifiers=list(modifiers),
            charge=D(charge),
            service_date=SERVICE_DATE,
            pointer_1=1,
            ledger_entry=entry,
        )
    return claim


def adj(group: str, reason: str, amount: str) -> Adjustment:
    return Adjustment(group=group, reason=reason, amount=D(amount))


def service(
    line: ClaimLine,
    paid: str,
    *adjustments: Adjustment,
    control: bool = True,
    modifiers: Sequence[str] | None = None,
    code: str | None = None,
    submitted_code: str = "",
    remarks: Sequence[str] = (),
    sign: int = 1,
) -> ServicePayment:
    return ServicePayment(
        procedure_code=code or line.procedure_code,
        charge=line.charge * sign,
        paid=D(paid),
        modifiers=tuple(line.modifiers if modifiers is None else modifiers),
        units=Decimal("1"),
        service_date=line.service_date,
        line_control_number=line.line_control_number if control else "",
        adjustments=tuple(adjustments),
        remarks=tuple(remarks),
        submitted_procedure_code=submitted_code,
    )


def claim_payment(
    claim: Claim,
    services: Sequence[ServicePayment],
    *,
    status: str = "1",
    adjustments: Sequence[Adjustment] = (),
    claim_id: str | None = None,
    remarks: Sequence[str] = (),
    sign: int = 1,
) -> ClaimPayment:
    paid = sum((s.paid for s in services), Decimal("0.00"))
    pr = sum(
        (a.amount for s in services for a in s.adjustments if a.group == "PR"), Decimal("0.00")
    ) + sum((a.amount for a in adjustments if a.group == "PR"), Decimal("0.00"))
    return ClaimPayment(
        patient_control_number=claim_id or claim.claim_id,
        status=status,
        total_charge=claim.total_charge * sign,
        paid=paid,
        patient_responsibility=pr,
        filing_indicator="12",
        payer_claim_number=f"ICN{claim.pk:08d}",
        adjustments=tuple(adjustments),
        service_lines=tuple(services),
        patient_last_name="Zzexample",
        patient_first_name="Testpat",
        member_id="XM0001",
        remarks=tuple(remarks),
    )


def era(
    world: World,
    claims: Sequence[ClaimPayment],
    *,
    trace: str = "TRACE0001",
    plbs: Sequence[ProviderAdjustment] = (),
    payer_id: str | None = None,
) -> bytes:
    """The 835 text (bytes) answering ``claims``, written by the codec."""
    total = sum((c.paid for c in claims), Decimal("0.00")) - sum(
        (p.amount for p in plbs), Decimal("0.00")
    )
    remittance = Remittance(
        control_number="0001",
        payer_name=world.payer.name,
        payer_id=payer_id or world.payer.payer_id,
        payee_name="Example Family Medicine",
        payee_npi=world.organization.npi,
        payment_method="CHK" if total > 0 else "NON",
        credit_debit="C",
        total_paid=total,
        payment_date=dt.date(2026, 11, 20),
        trace_number=trace,
        trace_originator="1123456789",
        claims=tuple(claims),
        provider_adjustments=tuple(plbs),
        payee_tax_id="123456789",
        payer_address=Address("1 Payer Way", "Springfield", "IL", "62701"),
    )
    header = EnvelopeHeader(
        sender_id=world.payer.payer_id,
        receiver_id="FRONTDESK",
        interchange_control_number=next(_numbers),
        group_control_number=next(_numbers),
        functional_id="HP",
        version="005010X221A1",
        created_at=timezone.now(),
    )
    return write_835([remittance], header).encode()


def balances(patient: Any) -> tuple[Decimal, Decimal]:
    """(insurance bucket, patient bucket) of the patient's account."""
    from frontdesk.ledger.models import LedgerEntry

    entries = LedgerEntry.objects.filter(account__holder=patient)
    insurance = sum((e.amount for e in entries if e.bucket == Bucket.INSURANCE), Decimal("0.00"))
    own = sum((e.amount for e in entries if e.bucket == Bucket.PATIENT), Decimal("0.00"))
    return insurance, own
