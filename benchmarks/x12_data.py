"""Deterministic synthetic X12 data for the benchmarks: an 837P batch of N claims, an 835 paying N claims.

Obviously fake people (TESTPATIENT0001, ...), example.com, valid-format but made-up NPIs and member
ids; the same ``seed`` always gives the same data. Pure Python (no Django), so the X12 benchmarks
measure only the codecs.

    python benchmarks/x12_data.py 837 100 > /tmp/claims.x12
    python benchmarks/x12_data.py 835 100 > /tmp/era.x12
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from frontdesk.standards.x12.claims import (
    Address,
    Adjustment,
    BillingProvider,
    Claim,
    ClaimBatch,
    ClaimGroup,
    PatientInfo,
    Payer,
    ProviderName,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
    npi_valid,
    write_837p,
)
from frontdesk.standards.x12.envelope import EnvelopeHeader
from frontdesk.standards.x12.remittance import (
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    write_835,
)

BILLING_NPI = "1234567893"
RENDERING_NPIS = ("1245319599", "1003000126", "1497758544")
CLINIC = Address("100 Example Street", "Springfield", "IL", "627011234")
PROCEDURES = (("99213", "125.00"), ("99214", "180.00"), ("87880", "35.00"), ("36415", "15.00"))
DIAGNOSES = ("J029", "R509", "I10", "E119", "Z0000", "M5450", "K219", "F411")
FIRST_NAMES = ("ALEX", "JORDAN", "SAM", "CASEY", "RILEY", "MORGAN")
DOS = dt.date(2026, 11, 2)

assert all(npi_valid(n) for n in (BILLING_NPI, *RENDERING_NPIS))


def header(kind: str, number: int = 1) -> EnvelopeHeader:
    return EnvelopeHeader(
        sender_id="FRONTDESK" if kind == "837" else "EXAMPLEPAYER",
        receiver_id="CLEARINGHOUSE" if kind == "837" else "FRONTDESK",
        interchange_control_number=number,
        group_control_number=number,
        functional_id="HC" if kind == "837" else "HP",
        version="005010X222A1" if kind == "837" else "005010X221A1",
        created_at=dt.datetime(2026, 11, 27, 4, 30),
        usage="T",
    )


def _person(rng: random.Random, i: int) -> tuple[str, str]:
    return f"TESTPATIENT{i:05d}", rng.choice(FIRST_NAMES)


def claim_batch(claims: int, *, seed: int = 6) -> ClaimBatch:
    """One batch (one 837P transaction) of ``claims`` claims, 1 to 3 lines each, a third for dependents."""
    rng = random.Random(seed)
    groups: list[ClaimGroup] = []
    for i in range(1, claims + 1):
        last, first = _person(rng, i)
        home = Address(f"{i} Fake Lane", "Springfield", "IL", "62701")
        subscriber = Subscriber(
            member_id=f"XYZ{i:09d}",
            last_name=last,
            first_name=first,
            date_of_birth=dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
            sex=rng.choice("MF"),
            address=home,
            group_number=f"GRP{i % 40:03d}",
        )
        patient = None
        if i % 3 == 0:
            patient = PatientInfo(
                relationship="19",
                last_name=last,
                first_name=rng.choice(FIRST_NAMES),
                date_of_birth=dt.date(2010 + i % 12, 1 + i % 12, 1 + i % 28),
                sex=rng.choice("MF"),
                address=home,
            )
        diagnoses = tuple(rng.sample(DIAGNOSES, rng.randint(1, 4)))
        lines = []
        for n in range(rng.randint(1, 3)):
            code, charge = PROCEDURES[(i + n) % len(PROCEDURES)]
            lines.append(
                ServiceLine(
                    procedure_code=code,
                    charge=Decimal(charge),
                    units=Decimal(1),
                    diagnosis_pointers=(1 + n % len(diagnoses),),
                    service_date=DOS + dt.timedelta(days=i % 20),
                    line_control_number=f"FD{i:07d}-{n + 1}",
                    modifiers=("25",) if code == "99214" and n == 0 else (),
                )
            )
        claim = Claim(
            claim_id=f"FD{i:07d}",
            total_charge=sum((line.charge for line in lines), Decimal(0)),
            place_of_service="11",
            diagnoses=diagnoses,
            lines=tuple(lines),
            rendering_provider=ProviderName(
                "DOCTOR", "SAMPLE", RENDERING_NPIS[i % len(RENDERING_NPIS)], "207Q00000X"
            ),
        )
        groups.append(
            ClaimGroup(subscriber, Payer("EXAMPLE HEALTH PLAN", "EXH01"), (claim,), patient)
        )
    return ClaimBatch(
        reference=f"BENCH{claims}",
        created_at=dt.datetime(2026, 11, 27, 4, 30),
        submitter=Submitter("EXAMPLE CLINIC", "FRONTDESK", "BILLING DESK", "5555550100"),
        receiver=Receiver("EXAMPLE CLEARINGHOUSE", "CLEARINGHOUSE"),
        billing_provider=BillingProvider(
            "EXAMPLE CLINIC", BILLING_NPI, "123456789", CLINIC, taxonomy_code="207Q00000X"
        ),
        groups=tuple(groups),
    )


def remittance(claims: int, *, seed: int = 6) -> Remittance:
    """One 835 paying ``claims`` claims: most paid with CO-45 and PR-1/2/3, every 10th denied
    (CO-197, N54), every 25th a reversal; one PLB (WO recovery and L6 interest)."""
    rng = random.Random(seed)
    payments: list[ClaimPayment] = []
    for i in range(1, claims + 1):
        last, first = _person(rng, i)
        lines: list[ServicePayment] = []
        claim_adjustments: tuple[Adjustment, ...] = ()
        status = "1"
        if i % 25 == 0:
            status = "22"
            charge, paid = Decimal("-125.00"), Decimal("-80.00")
            claim_adjustments = (
                Adjustment("CO", "45", Decimal("-25.00")),
                Adjustment("PR", "2", Decimal("-20.00")),
            )
        else:
            for n in range(rng.randint(1, 3)):
                code, charge_text = PROCEDURES[(i + n) % len(PROCEDURES)]
                line_charge = Decimal(charge_text)
                if i % 10 == 0:
                    adjustments: tuple[Adjustment, ...] = (Adjustment("CO", "197", line_charge),)
                    line_paid = Decimal(0)
                    remarks: tuple[str, ...] = ("N54",)
                else:
                    allowed = (line_charge * Decimal("0.8")).quantize(Decimal("0.01"))
                    patient_part = (allowed * Decimal("0.2")).quantize(Decimal("0.01"))
                    reason = rng.choice(("1", "2", "3"))
                    adjustments = (
                        Adjustment("CO", "45", line_charge - allowed),
                        Adjustment("PR", reason, patient_part),
                    )
                    line_paid = allowed - patient_part
                    remarks = ()
                lines.append(
                    ServicePayment(
                        procedure_code=code,
                        charge=line_charge,
                        paid=line_paid,
                        units=Decimal(1),
                        service_date=DOS + dt.timedelta(days=i % 20),
                        line_control_number=f"FD{i:07d}-{n + 1}",
                        adjustments=adjustments,
                        remarks=remarks,
                        allowed=None if remarks else line_charge - adjustments[0].amount,
                    )
                )
            charge = sum((line.charge for line in lines), Decimal(0))
            paid = sum((line.paid for line in lines), Decimal(0))
            status = "4" if i % 10 == 0 else "1"
        responsibility = sum(
            (a.amount for line in lines for a in line.adjustments if a.group == "PR"), Decimal(0)
        ) + sum((a.amount for a in claim_adjustments if a.group == "PR"), Decimal(0))
        payments.append(
            ClaimPayment(
                patient_control_number=f"FD{i:07d}",
                status=status,
                total_charge=charge,
                paid=paid,
                patient_responsibility=responsibility,
                filing_indicator="12",
                payer_claim_number=f"ICN{i:012d}",
                adjustments=claim_adjustments,
                service_lines=tuple(lines),
                patient_last_name=last,
                patient_first_name=first,
                member_id=f"XYZ{i:09d}",
                rendering_npi=RENDERING_NPIS[i % len(RENDERING_NPIS)],
                remarks=("N54",) if status == "4" else (),
            )
        )
    plbs = (
        ProviderAdjustment(
            BILLING_NPI, dt.date(2026, 12, 31), "WO", "ICN000000000099", Decimal("25.00")
        ),
        ProviderAdjustment(BILLING_NPI, dt.date(2026, 12, 31), "L6", "", Decimal("-1.25")),
    )
    total = sum((p.paid for p in payments), Decimal(0)) - sum((p.amount for p in plbs), Decimal(0))
    return Remittance(
        control_number="0001",
        payer_name="EXAMPLE HEALTH PLAN",
        payer_id="EXH01",
        payee_name="EXAMPLE CLINIC",
        payee_npi=BILLING_NPI,
        payment_method="CHK",
        credit_debit="C",
        total_paid=total,
        payment_date=dt.date(2026, 11, 20),
        trace_number=f"CHK{claims:09d}",
        trace_originator="1999999999",
        claims=tuple(payments),
        provider_adjustments=plbs,
        payee_tax_id="123456789",
        production_date=dt.date(2026, 11, 19),
        payer_address=Address("PO Box 4000", "Springfield", "IL", "62701"),
        payer_contact_name="EDI SUPPORT",
        payer_contact_phone="5555550199",
    )


def text_837p(claims: int) -> str:
    return write_837p([claim_batch(claims)], header("837"))


def text_835(claims: int) -> str:
    return write_835([remittance(claims)], header("835"))


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else "837"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    sys.stdout.write(text_837p(count) if kind == "837" else text_835(count))
