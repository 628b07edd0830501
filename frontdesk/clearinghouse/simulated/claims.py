"""The simulated payer's answers to an 837P: a 999, a 277CA and an 835 (docs/simulated-payer.md).

- 999: each transaction set is read with ``read_837p``; one the reader refuses is rejected (IK5 R)
  with an IK3/IK4 error naming the segment and element, and goes no further.
- 277CA: every claim of an accepted transaction is acknowledged (A1/A2 with a payer claim number) or
  rejected by rule (A3/A7 with a status code).
- 835: one payment (check) per payer for the accepted claims, adjudicated by rule, balanced, with a
  check number derived from the claims so the same claims always come back with the same trace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from frontdesk.clearinghouse.simulated import plans
from frontdesk.clearinghouse.simulated.common import answer_header
from frontdesk.clearinghouse.simulated.plans import money
from frontdesk.standards.x12.acks import (
    AckError,
    ClaimAck,
    ClaimAckReport,
    ClaimStatus,
    FunctionalAck,
    TransactionAck,
    write_277ca,
    write_999,
)
from frontdesk.standards.x12.claims import (
    Address,
    Adjustment,
    Claim,
    ClaimBatch,
    ClaimGroup,
    ServiceLine,
    read_837p,
)
from frontdesk.standards.x12.envelope import Interchange, Segment, Transaction, parse
from frontdesk.standards.x12.errors import X12ParseError
from frontdesk.standards.x12.remittance import (
    CLAIM_FILING_INDICATORS,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    write_835,
)

ZERO = Decimal("0")
OFFICE_VISITS = frozenset(f"992{n:02d}" for n in (2, 3, 4, 5, 11, 12, 13, 14, 15))
NOT_COVERED_CODE = "99999"
PATIENT_LIABLE_MODIFIER = "GY"
LATE_DAYS = 30
INTEREST_RATE = Decimal("0.01")
OVERPAYMENT_THRESHOLD = Decimal("1000")
OVERPAYMENT_RECOVERY = Decimal("25.00")


@dataclass(frozen=True)
class SimulatedReplies:
    """What the payer sends back for one 837P file ("" when there is nothing of that kind)."""

    ack_999: str
    ack_277ca: str
    remittance_835: str


# --- splitting the file into one interchange per transaction set ---------------------------------


def _segment_text(segment: Segment, element: str) -> str:
    return element.join([segment.id, *segment.elements])


def _single(interchange: Interchange, group_gs: Segment, transaction: Transaction) -> str:
    """``transaction`` alone in an interchange of its own (same ISA and GS), for ``read_837p``."""
    d = interchange.delimiters
    segments = [
        _segment_text(interchange.isa, d.element),
        _segment_text(group_gs, d.element),
        *(_segment_text(s, d.element) for s in transaction.segments),
        d.element.join(["GE", "1", group_gs.get(6)]),
        d.element.join(["IEA", "1", interchange.control_number]),
    ]
    return "".join(s + d.segment + "\n" for s in segments)


def _ack_error(exc: X12ParseError, transaction: Transaction) -> AckError:
    # The single-transaction interchange puts ISA at 1, GS at 2 and ST at 3.
    position = max(1, (exc.segment_index or 3) - 2)
    segment: Segment | None = None
    if 1 <= position <= len(transaction.segments):
        segment = transaction.segments[position - 1]
    segment_id = exc.segment_id or (segment.id if segment else "")
    bad_value = ""
    if segment is not None and exc.element:
        bad_value = segment.get(exc.element)[:99]
    return AckError(
        segment_id=segment_id or "ST",
        segment_position=position,
        loop="",
        code="8" if segment_id else "3",
        element_position=exc.element or None,
        element_code=("7" if bad_value else "1") if exc.element else "",
        bad_value=bad_value,
        message=exc.message,
    )


# --- the 277CA rules -------------------------------------------------------------------------------


def _first_service_date(claim: Claim) -> dt.date | None:
    dates = [line.service_date for line in claim.lines]
    return min(dates) if dates else None


def claim_rejection(group: ClaimGroup, claim: Claim, today: dt.date) -> ClaimStatus | None:
    """The rule that rejects a claim at acknowledgment, or None when it is accepted."""
    if plans.claims_reject_subscriber(group.subscriber.member_id):
        return ClaimStatus(
            category="A3",
            code="33",
            entity="IL",
            effective=today,
            action="U",
            amount=claim.total_charge,
            message="A3 Returned as unprocessable: 33 Subscriber and subscriber ID not found",
        )
    if any(line.service_date > today for line in claim.lines):
        return ClaimStatus(
            category="A7",
            code="187",
            effective=today,
            action="U",
            amount=claim.total_charge,
            message="A7 Rejected for invalid information: 187 Date(s) of service (in the future)",
        )
    if claim.diagnoses and claim.diagnoses[0].replace(".", "").upper() == "R69":
        return ClaimStatus(
            category="A7",
            code="254",
            effective=today,
            action="U",
            amount=claim.total_charge,
            message="A7 Rejected for invalid information: 254 Principal diagnosis code (R69 is "
            "not accepted as the principal diagnosis)",
        )
    return None


def _claim_ack(
    group: ClaimGroup, claim: Claim, today: dt.date, rejection: ClaimStatus | None
) -> ClaimAck:
    patient = group.patient
    statuses = (
        (rejection,)
        if rejection
        else (
            ClaimStatus(
                category="A2",
                code="20",
                effective=today,
                action="WQ",
                amount=claim.total_charge,
                message="A2 Accepted for processing: 20 Accepted for processing",
            ),
        )
    )
    return ClaimAck(
        patient_control_number=claim.claim_id,
        payer_claim_number=""
        if rejection
        else plans.payer_claim_number(group.payer.payer_id, claim.claim_id),
        statuses=statuses,
        total_charge=claim.total_charge,
        service_date=_first_service_date(claim),
        patient_last_name=patient.last_name if patient else group.subscriber.last_name,
        patient_first_name=patient.first_name if patient else group.subscriber.first_name,
        member_id=group.subscriber.member_id,
    )


# --- the 835 rules ---------------------------------------------------------------------------------


def _adjudicate_line(
    line: ServiceLine, plan: plans.Plan, state: dict[str, Decimal]
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
        lines = [_adjudicate_line(line, plan, state) for line in claim.lines]
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
        service_date=_first_service_date(claim),
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


def _remittance(
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


# --- the whole answer ------------------------------------------------------------------------------


def answer_837(text: str | bytes, today: dt.date) -> SimulatedReplies:
    """The 999, 277CA and 835 answering the 837P ``text`` (``X12ParseError`` if not X12 at all)."""
    interchanges = parse(text)
    functional_acks: list[FunctionalAck] = []
    reports: list[ClaimAckReport] = []
    remittances: list[Remittance] = []
    for interchange in interchanges:
        for group in interchange.groups:
            transaction_acks: list[TransactionAck] = []
            for transaction in group.transactions:
                try:
                    if transaction.code != "837":
                        raise transaction.st.error(
                            f"expected an 837 transaction set, found {transaction.code}", 1
                        )
                    batches = read_837p(_single(interchange, group.gs, transaction))
                except X12ParseError as exc:
                    transaction_acks.append(
                        TransactionAck(
                            transaction_code=transaction.code or "837",
                            control_number=transaction.control_number,
                            status="R",
                            errors=(_ack_error(exc, transaction),),
                        )
                    )
                    continue
                transaction_acks.append(
                    TransactionAck(
                        transaction_code="837",
                        control_number=transaction.control_number,
                        status="A",
                        errors=(),
                    )
                )
                for batch in batches:
                    report, payable = _acknowledge(batch, today, len(reports) + 1)
                    reports.append(report)
                    by_payer: dict[str, list[tuple[ClaimGroup, Claim]]] = {}
                    for claim_group, claim in payable:
                        by_payer.setdefault(claim_group.payer.payer_id, []).append(
                            (claim_group, claim)
                        )
                    for payer_id, accepted in sorted(by_payer.items()):
                        remittances.append(_remittance(batch, payer_id, accepted, today))
            accepted_count = sum(1 for t in transaction_acks if t.status == "A")
            functional_acks.append(
                FunctionalAck(
                    functional_id=group.functional_id,
                    group_control_number=group.control_number,
                    version=group.version,
                    status=(
                        "A"
                        if accepted_count == len(transaction_acks)
                        else ("R" if accepted_count == 0 else "P")
                    ),
                    transactions=tuple(transaction_acks),
                    included=len(transaction_acks),
                    received=len(transaction_acks),
                    accepted=accepted_count,
                )
            )
    ack_999 = write_999(
        functional_acks, answer_header(text, today, functional_id="FA", version="005010X231A1")
    )
    ack_277ca = (
        write_277ca(
            reports,
            answer_header(text, today, functional_id="HN", version="005010X214", offset=1),
        )
        if reports
        else ""
    )
    remittance_835 = ""
    if remittances:
        numbered = [
            dataclasses.replace(r, control_number=f"{n:04d}")
            for n, r in enumerate(remittances, start=1)
        ]
        remittance_835 = write_835(
            numbered,
            answer_header(text, today, functional_id="HP", version="005010X221A1", offset=2),
        )
    return SimulatedReplies(ack_999=ack_999, ack_277ca=ack_277ca, remittance_835=remittance_835)


def _acknowledge(
    batch: ClaimBatch, today: dt.date, number: int
) -> tuple[ClaimAckReport, list[tuple[ClaimGroup, Claim]]]:
    """The 277CA report of one batch, and the claims that go on to adjudication."""
    acks: list[ClaimAck] = []
    payable: list[tuple[ClaimGroup, Claim]] = []
    for group in batch.groups:
        for claim in group.claims:
            rejection = claim_rejection(group, claim, today)
            acks.append(_claim_ack(group, claim, today, rejection))
            # A void (frequency 8) is acknowledged but not paid again: nothing to remit.
            if rejection is None and claim.frequency_code != "8":
                payable.append((group, claim))
    total = sum((c.total_charge for g in batch.groups for c in g.claims), ZERO)
    return (
        ClaimAckReport(
            control_number=f"{number:04d}",
            payer_name=batch.receiver.name or plans.PAYER_NAME,
            payer_id=batch.receiver.identifier or plans.SENDER_ID,
            receiver_name=batch.submitter.name,
            batch_statuses=(
                ClaimStatus(
                    category="A1",
                    code="19",
                    effective=today,
                    action="WQ",
                    amount=total,
                    message="A1 Acknowledgement/receipt: 19 Entity acknowledges receipt",
                ),
            ),
            claims=tuple(acks),
        ),
        payable,
    )
