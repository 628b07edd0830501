"""Checking the audit hash chain of a database (used by backup, restore and the scheduled check).

The ``audit verify`` command (audit app) is the user-facing verifier; this is the same walk over the
chain, callable against any configured database alias so a restore can be checked before it is used.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from frontdesk.audit import chain
from frontdesk.audit.models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the audit chain; ``problem`` says what broke at ``first_bad_sequence``."""

    intact: bool
    rows: int
    head_sequence: int
    head_hash: str
    first_bad_sequence: int | None = None
    problem: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "intact": self.intact,
            "rows": self.rows,
            "head_sequence": self.head_sequence,
            "head_hash": self.head_hash,
            "first_bad_sequence": self.first_bad_sequence,
            "problem": self.problem,
        }


def chain_head(*, using: str = "default") -> tuple[int, str]:
    """The chain head (last sequence, last hash) as recorded in the database."""
    head = AuditChainHead.objects.using(using).filter(pk=1).first()
    if head is None:
        return 0, chain.GENESIS_HASH
    return int(head.last_sequence), head.last_hash


def audit_chain_report(*, using: str = "default") -> ChainReport:
    """Recompute every row's keyed hash in sequence order and compare links and the head."""
    key = settings.AUDIT_HMAC_KEY.encode()
    head_sequence, head_hash = chain_head(using=using)
    expected_sequence = 1
    previous_hash = chain.GENESIS_HASH
    rows = 0
    events = (
        AuditEvent.objects.using(using)
        .order_by("sequence")
        .values(*chain.HASHED_FIELDS, "row_hash")
        .iterator(chunk_size=2000)
    )

    def broken(sequence: int, problem: str) -> ChainReport:
        return ChainReport(
            intact=False,
            rows=rows,
            head_sequence=head_sequence,
            head_hash=head_hash,
            first_bad_sequence=sequence,
            problem=problem,
        )

    for values in events:
        rows += 1
        sequence = int(values["sequence"])
        if sequence != expected_sequence:
            return broken(
                expected_sequence,
                f"sequence {expected_sequence} is missing or out of order (found {sequence})",
            )
        if values["prev_hash"] != previous_hash:
            return broken(sequence, "the link to the previous row does not match")
        if chain.row_hash(key, values) != values["row_hash"]:
            return broken(sequence, "the row's content does not match its hash")
        previous_hash = values["row_hash"]
        expected_sequence += 1
    last_sequence = expected_sequence - 1
    if (last_sequence, previous_hash) != (head_sequence, head_hash):
        return broken(
            last_sequence + 1,
            f"the chain head records sequence {head_sequence} but the rows end at {last_sequence}",
        )
    return ChainReport(intact=True, rows=rows, head_sequence=head_sequence, head_hash=head_hash)
