"""Acknowledgments of sent claims: the 999 (did the clearinghouse accept the file?) and the 277CA
(did the payer accept each claim?).

- A 999 is matched to our batches by its AK1 group control number (GS06) and AK2 transaction control
  numbers (ST02). A group or transaction rejected (AK9/IK5 = R) rejects every claim of the batch with
  the reason; accepted (A, or E: accepted with errors) moves them to *acknowledged*.
- A 277CA is matched claim by claim on TRN02 = CLM01: accepted (A1/A2) -> *accepted* with the payer's
  claim number (REF*1K) stored; rejected (A3/A4/A6/A7/A8) -> *rejected* with the STC meaning.
- An acknowledgment naming a batch or claim FrontDesk never sent is refused with a message naming it,
  and nothing of the file is applied (one transaction). Importing the same file again changes nothing
  (a claim already at or past the acknowledged state is left alone) and says so.

``actor=None`` is the system (the clearinghouse inbox poller, the command line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.billing.choices import TRANSITIONS, BatchStatus, ClaimStatus, StatusSource
from frontdesk.billing.errors import AckImportError
from frontdesk.billing.models import Claim, ClaimBatch
from frontdesk.billing.services import claim_status_set
from frontdesk.core.errors import PermissionDenied

REJECTING_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})
ACCEPTING_CATEGORIES = frozenset({"A1", "A2", "A5"})
ACK_999_STATUS = {
    "A": "accepted",
    "E": "accepted with errors",
    "P": "partially accepted",
    "R": "rejected",
    "M": "rejected (message authentication failed)",
    "W": "rejected (assurance failed)",
    "X": "rejected (content could not be analyzed)",
}


@dataclass
class AckImportResult:
    kind: str  # "TA1", "999" or "277CA"
    accepted: list[str] = field(default_factory=list)  # claim ids
    rejected: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        text = (
            f"{self.kind}: {len(self.accepted)} accepted, {len(self.rejected)} rejected, "
            f"{len(self.unchanged)} unchanged"
        )
        if self.unchanged and not (self.accepted or self.rejected):
            text += " (already applied)"
        return text + "."


def _kind_of(data: bytes | str) -> str:
    from frontdesk.standards.x12.envelope import parse
    from frontdesk.standards.x12.errors import X12ParseError

    try:
        interchanges = parse(data)
    except X12ParseError as exc:
        raise AckImportError(f"The file is not a readable X12 interchange: {exc}") from None
    codes = {t.code for i in interchanges for t in i.transactions()}
    if not codes and any(i.acknowledgments for i in interchanges):
        return "TA1"
    if codes == {"999"}:
        return "999"
    if codes == {"277"}:
        return "277CA"
    raise AckImportError(
        "The file holds no TA1, 999 or 277CA acknowledgment (it holds "
        f"{', '.join(sorted(codes)) or 'no transaction'})."
    )


def acks_import(*, actor: Any, data: bytes | str) -> AckImportResult:
    """Apply a TA1, 999 or 277CA file (all or nothing)."""
    if actor is not None and not actor.can(A.REMITTANCE_POST):
        raise PermissionDenied()
    kind = _kind_of(data)
    with transaction.atomic():
        apply = {"TA1": _apply_ta1, "999": _apply_999}.get(kind, _apply_277ca)
        result = apply(actor, data)
        audit_record(
            actor=actor,
            actor_name=None if actor is not None else "system:acks",
            action=AuditAction.CREATE,
            category=AuditCategory.FINANCIAL,
            object_type="claim_ack",
            object_id=kind,
            detail={
                "event": "ack_imported",
                "kind": kind,
                "accepted": len(result.accepted),
                "rejected": len(result.rejected),
                "unchanged": len(result.unchanged),
            },
        )
    return result


def _source(kind: str) -> str:
    return {"TA1": StatusSource.ACK_TA1, "999": StatusSource.ACK_999}.get(
        kind, StatusSource.ACK_277CA
    )


def _move(
    actor: Any, claim: Claim, status: str, kind: str, detail: str, result: AckImportResult
) -> None:
    """Move the claim if the acknowledgment is news; a repeated or late one is left alone."""
    if claim.status == status or status not in TRANSITIONS[claim.status]:
        result.unchanged.append(claim.claim_id)
        return
    claim_status_set(actor=actor, claim=claim, status=status, source=_source(kind), detail=detail)
    (result.rejected if status == ClaimStatus.REJECTED else result.accepted).append(claim.claim_id)


def rejected_alone(transaction_ack: Any) -> bool:
    return str(transaction_ack.status) not in ("A", "E")


def _errors_text(transaction_ack: Any) -> str:
    messages = [
        str(getattr(e, "message", "") or "") for e in getattr(transaction_ack, "errors", ())
    ]
    return "; ".join(m for m in messages if m)


def _apply_ta1(actor: Any, data: bytes | str) -> AckImportResult:
    """A TA1 answers an interchange: rejected (R), its batches' claims are rejected with the note
    code's reason; accepted (A, or E with errors), the batch notes it and waits for its 999."""
    from frontdesk.standards.x12.errors import X12ParseError
    from frontdesk.standards.x12.ta1 import read_ta1

    try:
        acks = read_ta1(data)
    except X12ParseError as exc:
        raise AckImportError(f"The TA1 could not be read: {exc}") from None
    result = AckImportResult(kind="TA1")
    problems: list[str] = []
    plan: list[tuple[list[ClaimBatch], Any]] = []
    for ack in acks:
        batches = list(
            ClaimBatch.objects.select_for_update()
            .filter(interchange_control_number=ack.control_number)
            .order_by("pk")
        )
        if not batches:
            problems.append(
                f"The TA1 answers interchange {ack.control_number}, which FrontDesk never sent."
            )
            continue
        plan.append((batches, ack))
    if problems:
        raise AckImportError(" ".join(problems), code="ack_unmatched")
    for batches, ack in plan:
        for batch in batches:
            detail = f"TA1: the batch {batch.reference} ({ack.message})."
            if ack.rejected:
                for claim in Claim.objects.filter(batch=batch).order_by("pk"):
                    _move(actor, claim, ClaimStatus.REJECTED, "TA1", detail, result)
                batch.status = BatchStatus.REJECTED
            batch.ack_detail = detail[:500]
            batch.save(update_fields=["status", "ack_detail", "updated_at"])
            result.messages.append(detail)
    return result


def _apply_999(actor: Any, data: bytes | str) -> AckImportResult:
    from frontdesk.standards.x12.acks import read_999
    from frontdesk.standards.x12.errors import X12ParseError

    try:
        acks = read_999(data)
    except X12ParseError as exc:
        raise AckImportError(f"The 999 could not be read: {exc}") from None
    result = AckImportResult(kind="999")
    problems: list[str] = []
    plan: list[tuple[ClaimBatch, str, str]] = []  # batch, claim status, detail
    for ack in acks:
        if ack.functional_id and ack.functional_id != "HC":
            problems.append(
                f"The 999 acknowledges a {ack.functional_id} group {ack.group_control_number}, "
                "not a claim (HC) batch."
            )
            continue
        batches = list(
            ClaimBatch.objects.select_for_update().filter(
                group_control_number=str(int(ack.group_control_number))
                if str(ack.group_control_number).isdigit()
                else ack.group_control_number
            )
        )
        if not batches:
            problems.append(
                f"The 999 acknowledges group control number {ack.group_control_number}, "
                "which FrontDesk never sent."
            )
            continue
        by_st = {b.transaction_control_number: b for b in batches}
        group_rejected = ack.status in ("R", "M", "W", "X")
        seen: set[str] = set()
        for transaction_ack in ack.transactions:
            batch = by_st.get(transaction_ack.control_number)
            if batch is None:
                problems.append(
                    f"The 999 acknowledges transaction {transaction_ack.control_number} of group "
                    f"{ack.group_control_number}, which FrontDesk never sent."
                )
                continue
            seen.add(batch.transaction_control_number)
            rejected = group_rejected or transaction_ack.status not in ("A", "E")
            reason = _errors_text(transaction_ack)
            word = ACK_999_STATUS.get(
                "R" if group_rejected else transaction_ack.status, transaction_ack.status
            )
            detail = f"999: the batch {batch.reference} was {word} by the clearinghouse"
            if group_rejected and not rejected_alone(transaction_ack):
                detail += f" (the whole file was rejected: {getattr(ack, 'message', ack.status)})"
            detail += f": {reason}" if reason else "."
            plan.append(
                (batch, ClaimStatus.REJECTED if rejected else ClaimStatus.ACKNOWLEDGED, detail)
            )
        for batch in batches:
            if batch.transaction_control_number in seen:
                continue
            # A group-level answer covers the transactions it does not list one by one.
            word = ACK_999_STATUS.get(ack.status, ack.status)
            status: str = ClaimStatus.REJECTED if group_rejected else ClaimStatus.ACKNOWLEDGED
            plan.append(
                (
                    batch,
                    status,
                    f"999: the batch {batch.reference} was {word} by the clearinghouse.",
                )
            )
    if problems:
        raise AckImportError(" ".join(problems), code="ack_unmatched")
    for batch, status, detail in plan:
        for claim in Claim.objects.filter(batch=batch).order_by("pk"):
            _move(actor, claim, status, "999", detail, result)
        batch.status = (
            BatchStatus.REJECTED if status == ClaimStatus.REJECTED else BatchStatus.ACKNOWLEDGED
        )
        batch.ack_detail = detail[:500]
        batch.save(update_fields=["status", "ack_detail", "updated_at"])
        result.messages.append(detail)
    return result


def status_words(statuses: Any) -> str:
    parts = []
    for status in statuses:
        text = getattr(status, "message", "") or f"{status.category}:{status.code}"
        if getattr(status, "free_text", ""):
            text += f" ({status.free_text})"
        parts.append(text)
    return "; ".join(parts)


def _claim_ack_rejected(claim_ack: Any) -> bool:
    accepted = getattr(claim_ack, "accepted", None)
    if accepted is not None:
        return not accepted
    return any(s.category in REJECTING_CATEGORIES for s in claim_ack.statuses)


def _apply_277ca(actor: Any, data: bytes | str) -> AckImportResult:
    from frontdesk.standards.x12.acks import read_277ca
    from frontdesk.standards.x12.errors import X12ParseError

    try:
        reports = read_277ca(data)
    except X12ParseError as exc:
        raise AckImportError(f"The 277CA could not be read: {exc}") from None
    result = AckImportResult(kind="277CA")
    ids = [c.patient_control_number for r in reports for c in r.claims]
    claims = {c.claim_id: c for c in Claim.objects.select_for_update().filter(claim_id__in=ids)}
    unknown = [claim_id for claim_id in ids if claim_id not in claims]
    if unknown:
        raise AckImportError(
            f"The 277CA names claim {', '.join(unknown[:10])}, which FrontDesk never sent; "
            "nothing was applied.",
            code="ack_unknown_claim",
        )
    for report in reports:
        payer = report.payer_name or report.payer_id or "the payer"
        for claim_ack in report.claims:
            claim = claims[claim_ack.patient_control_number]
            words = status_words(claim_ack.statuses)
            if (
                claim_ack.payer_claim_number
                and claim_ack.payer_claim_number != claim.payer_claim_number
            ):
                claim.payer_claim_number = claim_ack.payer_claim_number[:50]
                claim.save(update_fields=["payer_claim_number", "updated_at"])
            if _claim_ack_rejected(claim_ack):
                detail = f"277CA: rejected by {payer}: {words or 'no reason given'}."
                _move(actor, claim, ClaimStatus.REJECTED, "277CA", detail, result)
            else:
                number = (
                    f" Payer claim number {claim_ack.payer_claim_number}."
                    if claim_ack.payer_claim_number
                    else ""
                )
                detail = f"277CA: accepted by {payer}: {words or 'accepted'}.{number}"
                _move(actor, claim, ClaimStatus.ACCEPTED, "277CA", detail, result)
            result.messages.append(f"{claim.claim_id}: {detail}")
    return result


def ack_handler(exchange: Any) -> None:
    """Clearinghouse inbox handler for "TA1", "999" and "277CA" files."""
    acks_import(actor=getattr(exchange, "actor", None), data=exchange.read_bytes())
