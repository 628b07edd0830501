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
from dataclasses import dataclass
from decimal import Decimal

from frontdesk.clearinghouse.simulated import plans
from frontdesk.clearinghouse.simulated.adjudication import first_service_date, remittance_for
from frontdesk.clearinghouse.simulated.common import answer_header
from frontdesk.standards.x12.acks import (
    AckError,
    ClaimAck,
    ClaimAckReport,
    ClaimStatus,
    FunctionalAck,
    TransactionAck,
    acknowledge,
    write_277ca,
    write_999,
)
from frontdesk.standards.x12.claims import (
    Claim,
    ClaimBatch,
    ClaimGroup,
    read_837p,
)
from frontdesk.standards.x12.envelope import Interchange, Segment, Transaction, parse
from frontdesk.standards.x12.errors import X12ParseError
from frontdesk.standards.x12.remittance import (
    Remittance,
    write_835,
)

ZERO = Decimal("0")


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
    """The reader's complaint as an IK3 (segment) or IK3 + IK4 (element) error."""
    # The single-transaction interchange puts ISA at 1, GS at 2 and ST at 3.
    position = max(1, (exc.segment_index or 3) - 2)
    segment: Segment | None = None
    if 1 <= position <= len(transaction.segments):
        segment = transaction.segments[position - 1]
    segment_id = exc.segment_id or (segment.id if segment else "")
    bad_value = segment.get(exc.element)[:99] if segment is not None and exc.element else ""
    # The claim the error is in (CTX*CLM01), when it is inside one.
    claim_id = ""
    for earlier in transaction.segments[: position - 1]:
        if earlier.id == "CLM":
            claim_id = earlier.get(1)
        elif earlier.id == "HL":
            claim_id = ""
    # IK403 for an element: 7 invalid code value, 1 required element missing;
    # IK304 for a segment: 8 segment has data element errors, 3 required segment missing.
    code = ("7" if bad_value else "1") if exc.element else ("8" if segment_id else "3")
    return AckError(
        segment_id=segment_id or "ST",
        segment_position=position,
        loop="",
        code=code,
        element_position=exc.element or None,
        element_code="",
        bad_value=bad_value,
        message=exc.message,
        context_name="CLM01" if claim_id else "",
        context_value=claim_id,
    )


# --- the 277CA rules -------------------------------------------------------------------------------


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
        service_date=first_service_date(claim),
        patient_last_name=patient.last_name if patient else group.subscriber.last_name,
        patient_first_name=patient.first_name if patient else group.subscriber.first_name,
        member_id=group.subscriber.member_id,
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
                            version=transaction.st.get(3) or group.version,
                            syntax_errors=("5",),  # one or more segments in error
                        )
                    )
                    continue
                transaction_acks.append(
                    TransactionAck(
                        transaction_code="837",
                        control_number=transaction.control_number,
                        status="A",
                        errors=(),
                        version=transaction.st.get(3) or group.version,
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
                        remittances.append(remittance_for(batch, payer_id, accepted, today))
            functional_acks.append(
                acknowledge(
                    functional_id=group.functional_id,
                    group_control_number=group.control_number,
                    version=group.version,
                    transactions=transaction_acks,
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
    accepted = [a for a in acks if a.accepted]
    rejected = [a for a in acks if not a.accepted]
    return (
        ClaimAckReport(
            control_number=f"{number:04d}",
            payer_name=batch.receiver.name or plans.PAYER_NAME,
            payer_id=batch.receiver.identifier or plans.SENDER_ID,
            receiver_name=batch.submitter.name,
            receiver_id=batch.submitter.identifier,
            reference=f"SIM{plans.digest(batch.reference, batch.submitter.identifier)[:12].upper()}",
            batch_reference=batch.reference,
            received_date=today,
            processed_date=today,
            billing_provider_name=batch.billing_provider.name,
            billing_provider_npi=batch.billing_provider.npi,
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
            accepted_count=len(accepted),
            rejected_count=len(rejected),
            accepted_amount=sum((a.total_charge or ZERO for a in accepted), ZERO),
            rejected_amount=sum((a.total_charge or ZERO for a in rejected), ZERO),
        ),
        payable,
    )
