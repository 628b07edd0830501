"""837P batches for the simulated payer's tests, written with the FrontDesk codec (synthetic data)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from frontdesk.standards.x12.claims import (
    Address,
    Adjustment,
    BillingProvider,
    Claim,
    ClaimBatch,
    ClaimGroup,
    LineAdjudication,
    OtherPayer,
    Payer,
    ProviderName,
    Receiver,
    ServiceLine,
    Submitter,
    write_837p,
)
from frontdesk.standards.x12.envelope import EnvelopeHeader

D = Decimal
TODAY = dt.date(2026, 11, 27)
DOS = dt.date(2026, 11, 20)
HOME = Address("1 Fake Lane", "Springfield", "IL", "62701")
CLINIC = Address("100 Example Street", "Springfield", "IL", "627011234")


def header(number: int = 501) -> EnvelopeHeader:
    return EnvelopeHeader(
        sender_id="FRONTDESK",
        receiver_id="CLEARINGHOUSE",
        interchange_control_number=number,
        group_control_number=number,
        functional_id="HC",
        version="005010X222A1",
        created_at=dt.datetime(2026, 11, 27, 9, 30),
        usage="T",
    )


def subscriber(member_id: str = "ZX1234525", **changes: object):
    from frontdesk.standards.x12.claims import Subscriber

    base = Subscriber(
        member_id=member_id,
        last_name="TESTPATIENT",
        first_name="ALEX",
        date_of_birth=dt.date(1980, 5, 17),
        sex="F",
        address=HOME,
        group_number="GRP100",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def line(code: str = "99213", charge: str = "125.00", **changes: object) -> ServiceLine:
    base = ServiceLine(
        procedure_code=code,
        charge=D(charge),
        units=D("1"),
        diagnosis_pointers=(1,),
        service_date=DOS,
        line_control_number=f"LC{code}{charge.replace('.', '')}",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def claim(claim_id: str = "FD0000001", *lines: ServiceLine, **changes: object) -> Claim:
    lines = lines or (line(),)
    base = Claim(
        claim_id=claim_id,
        total_charge=sum((item.charge for item in lines), D("0")),
        place_of_service="11",
        diagnoses=("J029",),
        lines=lines,
        rendering_provider=ProviderName("DOCTOR", "SAMPLE", "1245319599"),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def group(*claims: Claim, member_id: str = "ZX1234525", payer_id: str = "SIM01") -> ClaimGroup:
    return ClaimGroup(
        subscriber(member_id), Payer("SIMULATED HEALTH PLAN", payer_id), claims or (claim(),)
    )


def secondary_claim(claim_id: str = "FD0000050") -> Claim:
    """The primary paid 60 of 100 (CO-45 25, PR-2 15) on the one line."""
    prior = LineAdjudication(
        payer_id="PRIMARY1",
        paid=D("60.00"),
        procedure_code="99213",
        units=D("1"),
        adjudicated_on=DOS,
        adjustments=(Adjustment("CO", "45", D("25.00")), Adjustment("PR", "2", D("15.00"))),
    )
    return claim(
        claim_id,
        line("99213", "100.00", prior_adjudications=(prior,)),
        other_payers=(
            OtherPayer(
                payer=Payer(
                    "PRIMARY HEALTH PLAN",
                    "PRIMARY1",
                    Address("PO Box 1", "Springfield", "IL", "62701"),
                ),
                subscriber=subscriber("PRIM999", group_number="G7"),
                paid=D("60.00"),
                adjudicated_on=DOS,
            ),
        ),
    )


def batch(*groups: ClaimGroup, reference: str = "BATCH0001") -> ClaimBatch:
    return ClaimBatch(
        reference=reference,
        created_at=dt.datetime(2026, 11, 27, 9, 30, 15),
        submitter=Submitter("EXAMPLE CLINIC", "SUB123", "BILLING DESK", "5555550100"),
        receiver=Receiver("SIMULATED CLEARINGHOUSE", "SIMPAYER"),
        billing_provider=BillingProvider(
            name="EXAMPLE CLINIC", npi="1234567893", tax_id="123456789", address=CLINIC
        ),
        groups=groups or (group(),),
    )


def file_837(*batches: ClaimBatch, number: int = 501) -> str:
    return write_837p(list(batches) or [batch()], header(number))
