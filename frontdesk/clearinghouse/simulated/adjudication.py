"""The simulated payer's adjudication: accepted 837P claims in, one balanced 835 remittance out.

Rules (docs/simulated-payer.md): allowed = charge x the plan's fraction, CO-45 for the rest; office
visits pay the copay (PR-3), other lines the remaining deductible (PR-1) then coinsurance (PR-2);
procedure 99999 is not covered (CO-96, N130), modifier GY is the patient's (PR-96, N130), an ECG
whose only diagnoses are routine examinations is a screening ECG, not medically necessary (CO-50,
N115); secondary
claims pay the primary's patient responsibility (OA-23 for the rest); PLB L6 interest on late claims
and a WO recovery on large checks; the check number is derived from the claims.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from frontdesk.clearinghouse.simulated import plans
from frontdesk.clearinghouse.simulated.plans import money
from frontdesk.standards.x12.claims import (
    Address,
    Adjustment,
    Claim,
    ClaimBatch,
    ClaimGroup,
    ServiceLine,
)
from frontdesk.standards.x12.remittance import (
    CLAIM_FILING_INDICATORS,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)

ZERO = Decimal("0")
OFFICE_VISITS = frozenset(f"992{n:02d}" for n in (2, 3, 4, 5, 11, 12, 13, 14, 15))
NOT_COVERED_CODE = "99999"
PATIENT_LIABLE_MODIFIER = "GY"
ECG_CODES = frozenset({"93000", "93005", "93010"})
# Z00 (general examination without complaint): an ECG pointing only at these is a screening one.
SCREENING_DIAGNOSIS_PREFIX = "Z00"
LATE_DAYS = 30
INTEREST_RATE = Decimal("0.01")
OVERPAYMENT_THRESHOLD = Decimal("1000")
OVERPAYMENT_RECOVERY = Decimal("25.00")


def first_service_date(claim: Claim) -> dt.date | None:
    dates = [line.service_date for line in claim.lines]
    return min(dates) if dates else None


def _screening_only(line: ServiceLine, diagnoses: Sequence[str]) -> bool:
    """Every diagnosis the line points at is a routine examination (Z00.*)."""
    pointed = [diagnoses[p - 1] for p in line.diagnosis_pointers if 0 < p <= len(diagnoses)]
    return bool(pointed) and all(
        code.replace(".", "").upper().startswith(SCREENING_DIAGNOSIS_PREFIX) for code in pointed
    )


def _adjudicate_line(
    line: ServiceLine,
    plan: plans.Plan,
    state: dict[str, Decimal],
    diagnoses: Sequence[str] = (),
) -> ServicePayment:
    """One line: allowed, CO-45, then copay / deductible / coinsurance, or a denial."""
    base = ServicePayment(
        procedure_code=line.procedure_code,
        charge=line.charge,
        paid=ZERO,
        modifiers=line.modifiers,
        units=line.units,
        service_date=line.service_date,
        line_control_number=line.line_control_number,
    )
    if line.procedure_code == NOT_COVERED_CODE:
        return dataclasses.replace(
            base, adjustments=(Adjustment("CO", "96", line.charge),), remarks=("N130",)
        )
    if line.procedure_code in ECG_CODES and _screening_only(line, diagnoses):
        return dataclasses.replace(
            base, adjustments=(Adjustment("CO", "50", line.charge),), remarks=("N115",)
        )
    if PATIENT_LIABLE_MODIFIER in line.modifiers:
        return dataclasses.replace(
            base, adjustments=(Adjustment("PR", "96", line.charge),), remarks=("N130",)
        )
    allowed = money(line.charge * plan.allowed_fraction)
    adjustments: list[Adjustment] = []
    if line.charge - allowed:
        adjustments.append(Adjustment("CO", "45", line.charge - allowed))
    rest = allowed
    if line.procedure_code in OFFICE_VISITS and plan.copay > 0:
        copay = min(state["copay"], rest)
        if copay > 0:
            adjustments.append(Adjustment("PR", "3", copay))
            state["copay"] -= copay
            rest -= copay
    else:
        deductible = min(state["deductible"], rest)
        if deductible > 0:
            adjustments.append(Adjustment("PR", "1", deductible))
            state["deductible"] -= deductible
            rest -= deductible
        coinsurance = money(rest * plan.coinsurance)
        if coinsurance > 0:
            adjustments.append(Adjustment("PR", "2", coinsurance))
            rest -= coinsurance
    return dataclasses.replace(base, paid=rest, adjustments=tuple(adjustments), allowed=allowed)


def _secondary_line(line: ServiceLine, prior_patient_share: Decimal) -> ServicePayment:
    """A secondary payer pays the patient's share the primary left (up to the charge); the rest
    is the impact of the prior payer's adjudication (OA-23)."""
    paid = min(max(prior_patient_share, ZERO), line.charge)
    adjustments = (Adjustment("OA", "23", line.charge - paid),) if line.charge - paid else ()
    return ServicePayment(
        procedure_code=line.procedure_code,
        charge=line.charge,
        paid=paid,
        modifiers=line.modifiers,
        units=line.units,
        service_date=line.service_date,
        line_control_number=line.line_control_number,
        adjustments=adjustments,
    )


def _secondary_lines(claim: Claim) -> list[ServicePayment]:
    claim_share = sum(
        (a.amount for other in claim.other_payers for a in other.adjustments if a.group == "PR"),
        ZERO,
    )
    out: list[ServicePayment] = []
    for line in claim.lines:
        if line.prior_adjudications:
            share = sum(
                (
                    a.amount
                    for prior in line.prior_adjudications
                    for a in prior.adjustments
                    if a.group == "PR"
                ),
                ZERO,
            )
        else:
            share, claim_share = claim_share, ZERO  # claim-level share: on the first line
        out.append(_secondary_line(line, share))
    return out


def _claim_payment(group: ClaimGroup, claim: Claim, plan: plans.Plan) -> ClaimPayment:
    secondary = bool(claim.other_payers)
    if secondary:
        lines = _secondary_lines(claim)
    else:
        state = {
            "copay": plan.copay,
            "deductible": plans.deductible_remaining(plan, group.subscriber.member_id),
        }
        lines = [_adjudicate_line(line, plan, state, claim.diagnoses) for line in claim.lines]
    paid = sum((line.paid for line in lines), ZERO)
    patient_share = sum(
        (a.amount for line in lines for a in line.adjustments if a.group == "PR"), ZERO
    )
    denied = paid == 0 and any(a.reason == "96" for line in lines for a in line.adjustments)
    status = "4" if denied else ("2" if secondary else "1")
    # Lines must add up to the claim: a charge the 837P total carries beyond its lines (never from
    # FrontDesk) is adjusted at claim level so the 835 still balances.
    line_charges = sum((line.charge for line in lines), ZERO)
    claim_adjustments: tuple[Adjustment, ...] = ()
    if claim.total_charge != line_charges:
        claim_adjustments = (Adjustment("CO", "45", claim.total_charge - line_charges),)
    patient = group.patient
    filing = group.subscriber.claim_filing_indicator
    return ClaimPayment(
        patient_control_number=claim.claim_id,
        status=status,
        total_charge=claim.total_charge,
        paid=paid,
        patient_responsibility=patient_share,
        filing_indicator=filing if filing in CLAIM_FILING_INDICATORS else plan.filing_indicator,
        payer_claim_number=plans.payer_claim_number(group.payer.payer_id, claim.claim_id),
        adjustments=claim_adjustments,
        service_lines=tuple(lines),
        patient_last_name=patient.last_name if patient else group.subscriber.last_name,
        patient_first_name=patient.first_name if patient else group.subscriber.first_name,
        member_id=group.subscriber.member_id,
        insured_last_name=group.subscriber.last_name if patient else "",
        insured_first_name=group.subscriber.first_name if patient else "",
        insured_member_id=group.subscriber.member_id if patient else "",
        rendering_npi=claim.rendering_provider.npi if claim.rendering_provider else "",
        frequency_code=claim.frequency_code,
        service_date=first_service_date(claim),
    )


def trace_number(payer_id: str, claims: Sequence[Claim]) -> str:
    """The check number: a function of the payer and the claims paid (same claims, same check)."""
    key = "|".join(sorted(f"{c.claim_id}:{c.total_charge}" for c in claims))
    return str(int(plans.digest(payer_id, key)[:15], 16) % 10**10).zfill(10)


def _provider_adjustments(
    payments: Sequence[ClaimPayment], npi: str, today: dt.date
) -> list[ProviderAdjustment]:
    period_end = dt.date(today.year, 12, 31)
    adjustments: list[ProviderAdjustment] = []
    for payment in payments:
        late = payment.service_date and (today - payment.service_date).days > LATE_DAYS
        if late and payment.paid > 0:
            interest = max(money(payment.paid * INTEREST_RATE), Decimal("0.01"))
            adjustments.append(
                ProviderAdjustment(npi, period_end, "L6", payment.patient_control_number, -interest)
            )
    total = sum((p.paid for p in payments), ZERO) - sum((a.amount for a in adjustments), ZERO)
    if total > OVERPAYMENT_THRESHOLD:
        adjustments.append(
            ProviderAdjustment(npi, period_end, "WO", "SIMOVERPAY", OVERPAYMENT_RECOVERY)
        )
    return adjustments


def remittance_for(
    batch: ClaimBatch, payer_id: str, accepted: list[tuple[ClaimGroup, Claim]], today: dt.date
) -> Remittance:
    plan = plans.plan_for(payer_id)
    payments = [_claim_payment(group, claim, plan) for group, claim in accepted]
    provider = batch.billing_provider
    plb = _provider_adjustments(payments, provider.npi, today)
    total = sum((p.paid for p in payments), ZERO) - sum((a.amount for a in plb), ZERO)
    line1, city, state, postal = plans.PAYER_ADDRESS
    return Remittance(
        control_number="0001",
        payer_name=accepted[0][0].payer.name or plans.PAYER_NAME,
        payer_id=payer_id,
        payee_name=provider.name,
        payee_npi=provider.npi,
        payee_tax_id=re.sub(r"\D", "", provider.tax_id),
        payment_method="CHK" if total > 0 else "NON",
        credit_debit="C",
        total_paid=total,
        payment_date=today,
        production_date=today,
        trace_number=trace_number(payer_id, [claim for _group, claim in accepted]),
        trace_originator="1" + str(int(plans.digest("ein", payer_id)[:12], 16) % 10**9).zfill(9),
        claims=tuple(payments),
        provider_adjustments=tuple(plb),
        payer_address=Address(line1, city, state, postal),
        payer_contact_name="SIMULATED EDI SUPPORT",
    )
