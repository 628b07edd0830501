"""Acknowledgments: the 999 (005010X231A1) and the 277CA claim acknowledgment (005010X214).

The 999 says whether each transaction set of a functional group we sent (an 837P batch) passed the
receiver's syntax and implementation-guide checks: AK1 names the group, AK2..IK5 each transaction set
(IK3/IK4 the segment and element errors, with CTX context such as the claim's CLM01), AK9 the group's
verdict. ``read_999`` returns one ``FunctionalAck`` per 999 transaction set.

The 277CA says, claim by claim, whether the payer took the claims into adjudication: the HL hierarchy
20 information source (payer, with the 2200A receipt trace and dates) / 21 information receiver (us,
2200B batch status with accepted/rejected counts and amounts) / 19 billing provider (2200C status) /
PT patient (2200D: TRN*2 our CLM01, STC statuses, REF*1K payer claim number, REF*D9 clearinghouse
trace, DTP*472 service dates; the 2220D service lines are read past). ``read_277ca`` returns one
``ClaimAckReport`` per 277 transaction set.

Writers are for the simulated payer and round-trip tests; what they write passes pyx12's maps.
Readers raise ``X12ParseError`` on any bad input, never another exception.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from frontdesk.standards.x12.eligibility import (
    date_range,
    first,
    guarded,
    hl_blocks,
    parse_date,
    parse_decimal,
)
from frontdesk.standards.x12.envelope import (
    Delimiters,
    EnvelopeHeader,
    RawSegment,
    Segment,
    Transaction,
    build,
    clean_text,
    format_amount,
    format_date,
    transactions_of,
)
from frontdesk.standards.x12.errors import X12BuildError
from frontdesk.standards.x12.stc import (
    ACCEPTED_CATEGORIES,
    ELEMENT_ERRORS,
    GROUP_ERRORS,
    GROUP_STATUSES,
    REJECTING_CATEGORIES,
    SEGMENT_ERRORS,
    TRANSACTION_ERRORS,
    TRANSACTION_STATUSES,
    status_message,
)

VERSION_999 = "005010X231A1"
VERSION_277CA = "005010X214"

# ---------------------------------------------------------------------------------------------
# 999


@dataclass(frozen=True)
class AckError:
    """One IK3 segment error, or one IK4 element error inside it, in plain words."""

    segment_id: str  # IK301
    segment_position: int  # IK302: position in the transaction set (ST = 1)
    loop: str  # IK303
    code: str  # IK304 for a segment error, IK403 for an element error
    element_position: int | None  # IK401-1 (None: the error is about the whole segment)
    element_code: str  # IK402 data element reference number
    bad_value: str  # IK404
    message: str
    component_position: int | None = None  # IK401-2
    context_name: str = ""  # CTX01-1 of the business-unit CTX, e.g. "CLM01"
    context_value: str = ""  # CTX01-2, e.g. our claim ID


@dataclass(frozen=True)
class TransactionAck:
    """AK2 .. IK5: the verdict on one transaction set we sent."""

    transaction_code: str  # AK201
    control_number: str  # AK202 (our ST02)
    status: str  # IK501: A accepted, E accepted with errors, R rejected, ...
    errors: tuple[AckError, ...]
    version: str = ""  # AK203
    syntax_errors: tuple[str, ...] = ()  # IK502..IK506

    @property
    def accepted(self) -> bool:
        return self.status in ("A", "E")

    @property
    def message(self) -> str:
        words = TRANSACTION_STATUSES.get(self.status, f"status {self.status}")
        extra = [TRANSACTION_ERRORS.get(c, f"error {c}") for c in self.syntax_errors]
        return f"Transaction set {self.control_number}: {words}" + (
            f" ({'; '.join(extra)})" if extra else ""
        )


@dataclass(frozen=True)
class FunctionalAck:
    """AK1 .. AK9: the verdict on one functional group (a batch file) we sent."""

    functional_id: str  # AK101
    group_control_number: str  # AK102 (our GS06)
    version: str  # AK103
    status: str  # AK901: A, E, P (partially accepted), R (rejected)
    transactions: tuple[TransactionAck, ...]
    included: int  # AK902
    received: int  # AK903
    accepted: int  # AK904
    syntax_errors: tuple[str, ...] = ()  # AK905..AK909
    control_number: str = ""  # ST02 of the 999

    @property
    def message(self) -> str:
        words = GROUP_STATUSES.get(self.status, f"status {self.status}")
        extra = [GROUP_ERRORS.get(c, f"error {c}") for c in self.syntax_errors]
        return (
            f"Batch {self.group_control_number}: {words}; {self.accepted} of {self.included} "
            "transaction sets accepted" + (f" ({'; '.join(extra)})" if extra else "")
        )


def ack_error_message(
    segment_id: str,
    segment_position: int,
    code: str,
    element_position: int | None = None,
    bad_value: str = "",
    *,
    element_code: str = "",
) -> str:
    """ "CLM05 (segment 23): invalid code value 'ZZ'" — where and what, for a person fixing data."""
    if element_position is None:
        what = SEGMENT_ERRORS.get(code, f"segment error {code}")
        return f"{segment_id} segment (position {segment_position}): {what}"
    what = ELEMENT_ERRORS.get(code, f"element error {code}")
    value = f" {bad_value!r}" if bad_value else ""
    ref = f", data element {element_code}" if element_code else ""
    return f"{segment_id}{element_position:02d} (segment {segment_position}{ref}): {what}{value}"


def _int(seg: Segment, position: int, what: str, *, required: bool = True) -> int | None:
    text = seg.get(position)
    if not text:
        if required:
            raise seg.error(f"{what} is missing", position)
        return None
    if not re.fullmatch(r"\d{1,9}", text):
        raise seg.error(f"{what} {text!r} is not a number", position)
    return int(text)


@guarded("999")
def read_999(data: str | bytes) -> list[FunctionalAck]:
    """One FunctionalAck per 999 transaction set in ``data``."""
    return [_read_one_999(t) for t in transactions_of(data, "999", versions=(VERSION_999,))]


def _read_one_999(transaction: Transaction) -> FunctionalAck:
    body = list(transaction.body)
    if not body or body[0].id != "AK1":
        raise transaction.st.error("the AK1 segment must follow ST in a 999")
    ak1 = body[0]
    ak9: Segment | None = None
    acks: list[TransactionAck] = []
    ak2: Segment | None = None
    pending: list[AckError] = []
    ik3: Segment | None = None
    ik4s: list[Segment] = []
    context = ("", "")

    def finish_ik3() -> None:
        nonlocal ik3, ik4s, context
        if ik3 is None:
            return
        # IK304 "8" (or nothing) only announces the element errors that follow.
        if not ik4s or ik3.get(4) not in ("8", ""):
            pending.append(_segment_error(ik3, context))
        pending.extend(_element_error(ik3, ik4, context) for ik4 in ik4s)
        ik3, ik4s, context = None, [], ("", "")

    for seg in body[1:]:
        if ak9 is not None:
            raise seg.error("nothing may follow AK9 in a 999")
        if seg.id == "AK2":
            if ak2 is not None:
                raise seg.error("AK2 before the previous transaction set's IK5")
            ak2, pending = seg, []
        elif seg.id == "IK3":
            if ak2 is None:
                raise seg.error("IK3 outside an AK2 loop")
            finish_ik3()
            ik3 = seg
        elif seg.id == "IK4":
            if ik3 is None:
                raise seg.error("IK4 outside an IK3 loop")
            ik4s.append(seg)
        elif seg.id == "CTX":
            if ik3 is None:
                raise seg.error("CTX outside an IK3 loop")
            if not ik4s and seg.component(1, 1) != "SITUATIONAL TRIGGER":
                context = (seg.component(1, 1), seg.component(1, 2))
        elif seg.id == "IK5":
            if ak2 is None:
                raise seg.error("IK5 without AK2")
            finish_ik3()
            acks.append(
                TransactionAck(
                    transaction_code=ak2.require(1, "AK201 (transaction set identifier)"),
                    control_number=ak2.require(2, "AK202 (transaction set control number)"),
                    status=seg.require(1, "IK501 (transaction set acknowledgment code)"),
                    errors=tuple(pending),
                    version=ak2.get(3),
                    syntax_errors=tuple(seg.get(i) for i in range(2, 7) if seg.get(i)),
                )
            )
            ak2, pending = None, []
        elif seg.id == "AK9":
            if ak2 is not None:
                raise seg.error("AK9 before the last transaction set's IK5")
            ak9 = seg
        else:
            raise seg.error(f"unexpected segment {seg.id} in a 999")
    if ak2 is not None:
        raise transaction.segments[-1].error("the last AK2 loop has no IK5")
    if ak9 is None:
        raise transaction.segments[-1].error("the 999 has no AK9 segment")
    return FunctionalAck(
        functional_id=ak1.require(1, "AK101 (functional identifier code)"),
        group_control_number=ak1.require(2, "AK102 (group control number)"),
        version=ak1.get(3),
        status=ak9.require(1, "AK901 (functional group acknowledge code)"),
        transactions=tuple(acks),
        included=_int(ak9, 2, "AK902 (transaction sets included)") or 0,
        received=_int(ak9, 3, "AK903 (transaction sets received)") or 0,
        accepted=_int(ak9, 4, "AK904 (transaction sets accepted)") or 0,
        syntax_errors=tuple(ak9.get(i) for i in range(5, 10) if ak9.get(i)),
        control_number=transaction.control_number,
    )


def _segment_error(ik3: Segment, context: tuple[str, str]) -> AckError:
    position = _int(ik3, 2, "IK302 (segment position in transaction set)") or 0
    code = ik3.get(4)
    return AckError(
        segment_id=ik3.require(1, "IK301 (segment ID code)"),
        segment_position=position,
        loop=ik3.get(3),
        code=code,
        element_position=None,
        element_code="",
        bad_value="",
        message=ack_error_message(ik3.get(1), position, code),
        context_name=context[0],
        context_value=context[1],
    )


def _element_error(ik3: Segment, ik4: Segment, context: tuple[str, str]) -> AckError:
    position = _int(ik3, 2, "IK302 (segment position in transaction set)") or 0
    element_text = ik4.component(1, 1)
    if not re.fullmatch(r"\d{1,2}", element_text):
        raise ik4.error(f"IK401 {element_text!r} is not an element position", 1)
    component_text = ik4.component(1, 2)
    component = int(component_text) if re.fullmatch(r"\d{1,2}", component_text) else None
    code = ik4.require(3, "IK403 (implementation data element syntax error code)")
    element = int(element_text)
    return AckError(
        segment_id=ik3.require(1, "IK301 (segment ID code)"),
        segment_position=position,
        loop=ik3.get(3),
        code=code,
        element_position=element,
        element_code=ik4.get(2),
        bad_value=ik4.get(4),
        message=ack_error_message(
            ik3.get(1), position, code, element, ik4.get(4), element_code=ik4.get(2)
        ),
        component_position=component,
        context_name=context[0],
        context_value=context[1],
    )


def _ctx(error: AckError) -> list[RawSegment]:
    if not error.context_name:
        return []
    return [("CTX", [clean_text(error.context_name, 35), clean_text(error.context_value, 35)])]


def _999_body(ack: FunctionalAck) -> list[RawSegment]:
    body: list[RawSegment] = [
        ("AK1", ack.functional_id, ack.group_control_number, ack.version),
    ]
    for tack in ack.transactions:
        body.append(("AK2", tack.transaction_code, tack.control_number, tack.version))
        # Group the errors by segment: one IK3 each, its IK4s after it.
        groups: dict[tuple[str, int, str], list[AckError]] = {}
        for error in tack.errors:
            groups.setdefault((error.segment_id, error.segment_position, error.loop), []).append(
                error
            )
        for (segment_id, position, loop), errors in groups.items():
            if position < 1:
                raise X12BuildError("must be 1 or more", field="AckError.segment_position")
            segment_level = [e for e in errors if e.element_position is None]
            element_level = [e for e in errors if e.element_position is not None]
            code = segment_level[0].code if segment_level else "8"
            # IK303 is 1-4 characters: "2010BA" goes as "2010".
            body.append(("IK3", segment_id, str(position), clean_text(loop, 4), code))
            body += _ctx((segment_level or errors)[0])
            for error in element_level:
                composite = [str(error.element_position)]
                if error.component_position:
                    composite.append(str(error.component_position))
                body.append(
                    (
                        "IK4",
                        composite,
                        error.element_code,
                        error.code,
                        clean_text(error.bad_value, 99),
                    )
                )
        body.append(("IK5", tack.status, *tack.syntax_errors[:5]))
    body.append(
        (
            "AK9",
            ack.status,
            str(ack.included),
            str(ack.received),
            str(ack.accepted),
            *ack.syntax_errors[:5],
        )
    )
    return body


def write_999(
    acks: Sequence[FunctionalAck], header: EnvelopeHeader, delimiters: Delimiters | None = None
) -> str:
    """A 999 interchange: one transaction set per FunctionalAck (GS01 FA, GS08 005010X231A1)."""
    if not acks:
        raise X12BuildError("a 999 needs at least one functional group acknowledgment")
    header = replace(header, functional_id="FA", version=VERSION_999)
    return build(header, "999", [_999_body(a) for a in acks], delimiters)


def acknowledge(
    *,
    functional_id: str,
    group_control_number: str,
    version: str,
    transactions: Sequence[TransactionAck],
) -> FunctionalAck:
    """A FunctionalAck whose AK9 status and counts follow from the transaction set verdicts."""
    accepted = sum(1 for t in transactions if t.accepted)
    total = len(transactions)
    if accepted == total and all(t.status == "A" for t in transactions):
        status = "A"
    elif accepted == total:
        status = "E"
    elif accepted:
        status = "P"
    else:
        status = "R"
    return FunctionalAck(
        functional_id=functional_id,
        group_control_number=group_control_number,
        version=version,
        status=status,
        transactions=tuple(transactions),
        included=total,
        received=total,
        accepted=accepted,
    )


# ---------------------------------------------------------------------------------------------
# 277CA


@dataclass(frozen=True)
class ClaimStatus:
    """One status of an STC (STC01, or the extra STC10/STC11 composites)."""

    category: str  # STC01-1, e.g. "A7"
    code: str  # STC01-2, e.g. "33"
    entity: str = ""  # STC01-3, e.g. "IL"
    effective: dt.date | None = None  # STC02
    action: str = ""  # STC03: WQ accepted, U rejected
    amount: Decimal | None = None  # STC04
    free_text: str = ""  # STC12
    message: str = ""  # plain language

    @property
    def rejecting(self) -> bool:
        return self.category in REJECTING_CATEGORIES or self.action == "U"


@dataclass(frozen=True)
class ClaimAck:
    """One claim's acknowledgment (2200D)."""

    patient_control_number: str  # TRN02 = our CLM01
    payer_claim_number: str = ""  # REF*1K
    statuses: tuple[ClaimStatus, ...] = ()
    total_charge: Decimal | None = None
    service_date: dt.date | None = None
    patient_last_name: str = ""
    patient_first_name: str = ""
    member_id: str = ""
    clearinghouse_trace: str = ""  # REF*D9
    service_date_end: dt.date | None = None

    @property
    def accepted(self) -> bool:
        """Acknowledged/accepted (A1/A2) and nothing rejecting (A3/A4/A6/A7/A8)."""
        categories = {s.category for s in self.statuses}
        return bool(categories & ACCEPTED_CATEGORIES) and not any(
            s.rejecting for s in self.statuses
        )

    @property
    def message(self) -> str:
        return "; ".join(s.message for s in self.statuses)


@dataclass(frozen=True)
class ClaimAckReport:
    """One 277CA transaction set."""

    control_number: str
    payer_name: str
    payer_id: str
    receiver_name: str
    batch_statuses: tuple[ClaimStatus, ...]  # 2200B: the whole 837 file
    claims: tuple[ClaimAck, ...]
    receiver_id: str = ""  # 2100B NM109 (ETIN); the writer defaults it to the ISA receiver
    reference: str = ""  # 2200A TRN02 (the payer's receipt trace)
    batch_reference: str = ""  # 2200B TRN02 (the 837's reference)
    received_date: dt.date | None = None  # 2200A DTP*050
    processed_date: dt.date | None = None  # 2200A DTP*009
    billing_provider_name: str = ""  # 2100C (the writer defaults to the receiver's name)
    billing_provider_npi: str = ""
    provider_statuses: tuple[ClaimStatus, ...] = ()  # 2200C
    accepted_count: int | None = None  # 2200B QTY*90
    rejected_count: int | None = None  # 2200B QTY*AA
    accepted_amount: Decimal | None = None  # 2200B AMT*YU
    rejected_amount: Decimal | None = None  # 2200B AMT*YY


_LEVELS_277 = {"20": "", "21": "20", "19": "21", "PT": "19"}


@guarded("277CA")
def read_277ca(data: str | bytes) -> list[ClaimAckReport]:
    """One ClaimAckReport per 277CA transaction set in ``data``."""
    return [_read_one_277(t) for t in transactions_of(data, "277", versions=(VERSION_277CA,))]


def _statuses(seg: Segment) -> list[ClaimStatus]:
    effective = parse_date(seg, 2) if seg.get(2) else None
    amount = parse_decimal(seg, 4)
    out = []
    for position in (1, 10, 11):
        if not seg.get(position):
            continue
        category, code, entity = (
            seg.component(position, 1),
            seg.component(position, 2),
            seg.component(position, 3),
        )
        if not category:
            raise seg.error("the status has no category code", position)
        out.append(
            ClaimStatus(
                category=category,
                code=code,
                entity=entity,
                effective=effective,
                action=seg.get(3),
                amount=amount,
                free_text=seg.get(12),
                message=status_message(category, code, entity),
            )
        )
    if not out:
        raise seg.error("STC01 (claim status) is missing", 1)
    return out


def _read_one_277(transaction: Transaction) -> ClaimAckReport:
    body = transaction.body
    if not body or body[0].id != "BHT":
        raise transaction.st.error("the BHT segment must follow ST")
    if body[0].get(1) != "0085":
        raise body[0].error(f"BHT01 must be 0085, found {body[0].get(1)!r}", 1)
    blocks = hl_blocks(transaction, _LEVELS_277)
    source = next((b for b in blocks if b.level == "20"), None)
    receiver = next((b for b in blocks if b.level == "21"), None)
    if source is None:
        raise transaction.st.error("the 277 has no information source (HL*20)")
    payer = first(source.segments, "NM1")
    if payer is None:
        raise source.hl.error("the information source has no NM1")
    reference = first(source.segments, "TRN")
    received = first(source.segments, "DTP", "050")
    processed = first(source.segments, "DTP", "009")
    receiver_nm1 = first(receiver.segments, "NM1") if receiver else None
    batch_trn = first(receiver.segments, "TRN") if receiver else None
    batch: list[ClaimStatus] = []
    counts: dict[str, int | None] = {"90": None, "AA": None}
    amounts: dict[str, Decimal | None] = {"YU": None, "YY": None}
    for seg in receiver.segments if receiver else ():
        if seg.id == "STC":
            batch += _statuses(seg)
        elif seg.id == "QTY" and seg.get(1) in counts:
            value = parse_decimal(seg, 2)
            counts[seg.get(1)] = int(value) if value is not None else None
        elif seg.id == "AMT" and seg.get(1) in amounts:
            amounts[seg.get(1)] = parse_decimal(seg, 2)
    provider_name = provider_npi = ""
    provider_statuses: list[ClaimStatus] = []
    claims: list[ClaimAck] = []
    for block in blocks:
        if block.level == "19":
            nm1 = first(block.segments, "NM1")
            if nm1 is not None and not provider_name:
                provider_name, provider_npi = nm1.get(3), nm1.get(9)
            provider_statuses += [
                s for seg in block.segments if seg.id == "STC" for s in _statuses(seg)
            ]
        elif block.level == "PT":
            claims += _claims_of(block.segments)
    return ClaimAckReport(
        control_number=transaction.control_number,
        payer_name=payer.get(3),
        payer_id=payer.get(9),
        receiver_name=receiver_nm1.get(3) if receiver_nm1 else "",
        batch_statuses=tuple(batch),
        claims=tuple(claims),
        receiver_id=receiver_nm1.get(9) if receiver_nm1 else "",
        reference=reference.get(2) if reference else "",
        batch_reference=batch_trn.get(2) if batch_trn else "",
        received_date=date_range(received)[0] if received else None,
        processed_date=date_range(processed)[0] if processed else None,
        billing_provider_name=provider_name,
        billing_provider_npi=provider_npi,
        provider_statuses=tuple(provider_statuses),
        accepted_count=counts["90"],
        rejected_count=counts["AA"],
        accepted_amount=amounts["YU"],
        rejected_amount=amounts["YY"],
    )


def _claims_of(segments: Sequence[Segment]) -> list[ClaimAck]:
    nm1 = first(segments, "NM1")
    last = nm1.get(3) if nm1 else ""
    first_name = nm1.get(4) if nm1 else ""
    member_id = nm1.get(9) if nm1 else ""
    loops: list[list[Segment]] = []
    for seg in segments:
        if seg.id == "TRN":
            loops.append([seg])
        elif loops:
            loops[-1].append(seg)
    claims = []
    for loop in loops:
        trn = loop[0]
        statuses: list[ClaimStatus] = []
        payer_claim = trace = ""
        service: tuple[dt.date, dt.date | None] | None = None
        for seg in loop[1:]:
            if seg.id == "SVC":
                break  # 2220D service lines: their STC/REF/DTP belong to the line
            if seg.id == "STC":
                statuses += _statuses(seg)
            elif seg.id == "REF" and seg.get(1) == "1K":
                payer_claim = seg.get(2)
            elif seg.id == "REF" and seg.get(1) == "D9":
                trace = seg.get(2)
            elif seg.id == "DTP" and seg.get(1) == "472":
                service = date_range(seg)
        total = next((s.amount for s in statuses if s.amount is not None), None)
        claims.append(
            ClaimAck(
                patient_control_number=trn.require(2, "TRN02 (patient control number)"),
                payer_claim_number=payer_claim,
                statuses=tuple(statuses),
                total_charge=total,
                service_date=service[0] if service else None,
                patient_last_name=last,
                patient_first_name=first_name,
                member_id=member_id,
                clearinghouse_trace=trace,
                service_date_end=service[1] if service else None,
            )
        )
    return claims


def _stc(
    status: ClaimStatus, *, date: dt.date | None, amount: Decimal, free_text: bool
) -> RawSegment:
    action = status.action or ("U" if status.rejecting else "WQ")
    composite = [status.category, status.code, status.entity]
    segment: list[str | list[str]] = [
        "STC",
        composite,
        format_date(date) if date else "",
        action,
        format_amount(amount),
    ]
    if free_text and status.free_text:
        segment += ["", "", "", "", "", "", "", clean_text(status.free_text, 264)]
    return segment


def _277_body(report: ClaimAckReport, header: EnvelopeHeader) -> list[RawSegment]:
    if not report.claims:
        # 005010X214 requires a billing provider and a patient loop: a 277CA always acknowledges
        # claims. A batch rejected as a whole is answered with a 999 (IK5*R / AK9*R) instead.
        raise X12BuildError(
            "a 277CA acknowledges at least one claim (reject a whole batch with a 999)",
            field="claims",
        )
    today = header.created_at.date()
    total = sum((c.total_charge or Decimal(0) for c in report.claims), Decimal(0))
    accepted = [c for c in report.claims if c.accepted]
    rejected = [c for c in report.claims if not c.accepted]
    reference = clean_text(report.reference or report.control_number, 50) or "1"
    payer_id = (report.payer_id or "").strip()
    if len(payer_id) < 2:
        raise X12BuildError("must be 2 to 80 characters", field="payer_id")
    receiver_id = (report.receiver_id or header.receiver_id).strip()
    body: list[RawSegment] = [
        (
            "BHT",
            "0085",
            "08",
            reference,
            format_date(today),
            header.created_at.strftime("%H%M"),
            "TH",
        ),
        ("HL", "1", "", "20", "1"),
        (
            "NM1",
            "PR",
            "2",
            clean_text(report.payer_name, 60) or "PAYER",
            "",
            "",
            "",
            "",
            "PI",
            payer_id,
        ),
        ("TRN", "1", reference),
        ("DTP", "050", "D8", format_date(report.received_date or today)),
        ("DTP", "009", "D8", format_date(report.processed_date or today)),
        ("HL", "2", "1", "21", "1"),
        (
            "NM1",
            "41",
            "2",
            clean_text(report.receiver_name, 60) or "RECEIVER",
            "",
            "",
            "",
            "",
            "46",
            clean_text(receiver_id, 80),
        ),
        ("TRN", "2", clean_text(report.batch_reference or report.control_number, 50) or "1"),
    ]
    batch = report.batch_statuses or (ClaimStatus("A1", "19", "PR"),)
    for status in batch:
        body.append(
            _stc(
                status,
                date=status.effective or today,
                amount=status.amount if status.amount is not None else total,
                free_text=False,
            )
        )
    body.append(
        (
            "QTY",
            "90",
            str(report.accepted_count if report.accepted_count is not None else len(accepted)),
        )
    )
    body.append(
        (
            "QTY",
            "AA",
            str(report.rejected_count if report.rejected_count is not None else len(rejected)),
        )
    )
    body.append(
        (
            "AMT",
            "YU",
            format_amount(
                report.accepted_amount
                if report.accepted_amount is not None
                else sum((c.total_charge or Decimal(0) for c in accepted), Decimal(0))
            ),
        )
    )
    body.append(
        (
            "AMT",
            "YY",
            format_amount(
                report.rejected_amount
                if report.rejected_amount is not None
                else sum((c.total_charge or Decimal(0) for c in rejected), Decimal(0))
            ),
        )
    )
    npi = (report.billing_provider_npi or "").strip()
    provider_name = (
        clean_text(report.billing_provider_name or report.receiver_name, 60) or "PROVIDER"
    )
    if npi:
        provider_id: tuple[str, str] = ("XX", npi)
    else:  # no NPI given: the payer-assigned service provider number (the receiver's ID)
        provider_id = ("SV", clean_text(receiver_id, 80))
    body += [
        ("HL", "3", "2", "19", "1"),
        ("NM1", "85", "2", provider_name, "", "", "", "", *provider_id),
        ("TRN", "1", "0"),
    ]
    for status in report.provider_statuses or batch:
        body.append(
            _stc(
                status,
                date=None,
                amount=status.amount if status.amount is not None else total,
                free_text=False,
            )
        )
    number = 4
    for index, claim in enumerate(report.claims, start=1):
        body += _claim_segments(claim, number, today, f"claims[{index - 1}]")
        number += 1
    return body


def _claim_segments(claim: ClaimAck, number: int, today: dt.date, where: str) -> list[RawSegment]:
    last = clean_text(claim.patient_last_name, 60)
    if not last:
        raise X12BuildError("is required", field=f"{where}.patient_last_name")
    member_id = clean_text(claim.member_id, 80)
    if len(member_id) < 2:
        raise X12BuildError("is required (2 to 80 characters)", field=f"{where}.member_id")
    control = clean_text(claim.patient_control_number, 50)
    if not control:
        raise X12BuildError("is required", field=f"{where}.patient_control_number")
    if claim.service_date is None:
        raise X12BuildError("is required (DTP*472)", field=f"{where}.service_date")
    out: list[RawSegment] = [
        ("HL", str(number), "3", "PT"),
        (
            "NM1",
            "QC",
            "1",
            last,
            clean_text(claim.patient_first_name, 35),
            "",
            "",
            "",
            "MI",
            member_id,
        ),
        ("TRN", "2", control),
    ]
    statuses = claim.statuses or (ClaimStatus("A1", "19", "PR"),)
    for status in statuses:
        amount = status.amount if status.amount is not None else claim.total_charge or Decimal(0)
        out.append(_stc(status, date=status.effective or today, amount=amount, free_text=True))
    if claim.payer_claim_number:
        out.append(("REF", "1K", clean_text(claim.payer_claim_number, 50)))
    if claim.clearinghouse_trace:
        out.append(("REF", "D9", clean_text(claim.clearinghouse_trace, 50)))
    if claim.service_date_end and claim.service_date_end != claim.service_date:
        out.append(
            (
                "DTP",
                "472",
                "RD8",
                f"{format_date(claim.service_date)}-{format_date(claim.service_date_end)}",
            )
        )
    else:
        out.append(("DTP", "472", "D8", format_date(claim.service_date)))
    return out


def write_277ca(
    reports: Sequence[ClaimAckReport], header: EnvelopeHeader, delimiters: Delimiters | None = None
) -> str:
    """A 277CA interchange: one transaction set per report (GS01 HN, GS08 005010X214).

    Missing statuses get sensible acknowledgments (A1:19 received); STC amounts default to the
    claim's total charge; counts and amounts of 2200B are computed unless given.
    """
    if not reports:
        raise X12BuildError("a 277CA needs at least one report")
    header = replace(header, functional_id="HN", version=VERSION_277CA)
    return build(header, "277", [_277_body(r, header) for r in reports], delimiters)
