"""Checking the audit hash chain: find the first row that was edited, deleted, inserted or reordered.

The log is read in sequence order in keyset-paginated batches, so memory stays constant however long
the log is. Each row is checked three ways against what an untouched chain guarantees:

* its sequence is the one expected next (the sequence is gapless and unique);
* its ``row_hash`` is the HMAC of its own content (an edit cannot be re-signed without the key);
* its ``prev_hash`` is the ``row_hash`` of the row before it.

How each tampering shows up, and so how the first problem is classified:

* **edited** - a row's content (or its ``row_hash``) was changed: the row is where it should be and
  links to its predecessor, but its own hash does not match.
* **deleted** - rows were removed: the sequence jumps (a gap); or, when a DBA renumbered the later rows
  to close the gap, the row at the gap links to a row that no longer exists and verifies only under its
  original, higher sequence number; or the chain head records more rows than the table holds
  (truncation at the end).
* **inserted** - a forged row (it cannot carry a valid hash) was added: the row after it still links to
  the row before it, skipping it; or its sequence duplicates one already seen; or it lies beyond the
  chain head.
* **reordered** - rows were moved (their sequence numbers swapped): the row at a position links to an
  existing row other than its predecessor.

Only the first problem is reported: once the chain breaks, every later row is suspect anyway, and the
sequence number is where an investigation starts. A DBA who also rewrites the chain head and deletes
rows only at the very end leaves no trace inside the database; a copy of the head kept elsewhere (the
backup's verification report) closes that gap. Field-change rows (``FieldChange``) are outside the
hash; on PostgreSQL the append-only trigger protects them like the events.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings

from frontdesk.audit import chain
from frontdesk.audit.models import AuditChainHead, AuditEvent

TamperKind = Literal["edited", "deleted", "inserted", "reordered"]

DEFAULT_BATCH_SIZE = 2000
# How far above its position a renumbered row's original sequence is searched for, to tell "rows were
# deleted and the rest renumbered" from "the row's prev_hash was edited". Each try is one HMAC.
RENUMBER_SEARCH_LIMIT = 10_000

_COLUMNS = ("id", "row_hash", *chain.HASHED_FIELDS)


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of a chain check: intact, or the first bad sequence number and what happened there."""

    ok: bool
    rows_checked: int
    last_sequence: int
    sequence: int | None = None
    kind: TamperKind | None = None
    message: str = ""

    def summary(self) -> str:
        """Return a one-line, PHI-free description for the command line and logs."""
        if self.ok:
            if self.rows_checked == 0:
                return "OK: audit chain intact (empty log, 0 rows checked)."
            return (
                f"OK: audit chain intact, {self.rows_checked} rows checked "
                f"(sequence 1-{self.last_sequence})."
            )
        return (
            f"Audit chain broken at sequence {self.sequence}: {self.kind} ({self.message}); "
            f"{self.rows_checked} rows verified before it."
        )


def _hash_matches(key: bytes, row: dict[str, Any], *, sequence: int | None = None) -> bool:
    values = {name: row[name] for name in chain.HASHED_FIELDS}
    if sequence is not None:
        values["sequence"] = sequence
    return hmac.compare_digest(chain.row_hash(key, values), row["row_hash"])


def _rows_after(
    sequence: int, row_id: int, batch_size: int, using: str
) -> Iterator[dict[str, Any]]:
    """Yield rows ordered by (sequence, id) after the given position, one batch query at a time."""
    while True:
        # "sequence >= s AND NOT (sequence = s AND id <= i)" rather than "(sequence > s) OR (...)":
        # the range form lets the database seek the sequence index; the OR form made it scan from
        # the first row on every batch (quadratic on a long log).
        batch = list(
            AuditEvent.objects.using(using)
            .filter(sequence__gte=sequence)
            .exclude(sequence=sequence, id__lte=row_id)
            .order_by("sequence", "id")
            .values(*_COLUMNS)[:batch_size]
        )
        yield from batch
        if len(batch) < batch_size:
            return
        sequence, row_id = batch[-1]["sequence"], batch[-1]["id"]


def _next_row(row: dict[str, Any], using: str) -> dict[str, Any] | None:
    return next(_rows_after(row["sequence"], row["id"], 1, using), None)


def _head(using: str) -> tuple[int, str] | None:
    """Return the chain head's (last sequence, last hash), or None when the head record is missing."""
    return (
        AuditChainHead.objects.using(using)
        .filter(pk=1)
        .values_list("last_sequence", "last_hash")
        .first()
    )


def _classify_bad_row(
    key: bytes, row: dict[str, Any], expected_prev: str, using: str
) -> tuple[TamperKind, str]:
    """Say what most likely happened at a row in the right position whose hash or link is wrong."""
    sequence = row["sequence"]
    self_ok = _hash_matches(key, row)
    link_ok = row["prev_hash"] == expected_prev
    head_sequence, _ = _head(using) or (0, chain.GENESIS_HASH)
    if not self_ok and sequence > head_sequence:
        # Every genuine append moves the head in the same transaction, and the head was read after
        # this row: a row beyond it was written around audit_record.
        return "inserted", "a row that does not verify lies beyond the chain head"
    if not link_ok:
        target = (
            AuditEvent.objects.using(using)
            .filter(row_hash=row["prev_hash"])
            .exclude(id=row["id"])
            .values_list("sequence", flat=True)
            .first()
        )
        if target is not None:
            return "reordered", f"the row links to the row now at sequence {target}"
    following = _next_row(row, using)
    if not self_ok and following is not None and following["prev_hash"] == expected_prev:
        return "inserted", "the next row links past this row to its predecessor"
    if link_ok:
        return "edited", "the row's content does not match its hash"
    if self_ok:
        return "deleted", "the row links to a row that is missing"
    for offset in range(1, RENUMBER_SEARCH_LIMIT + 1):
        if _hash_matches(key, row, sequence=sequence + offset):
            return "deleted", (
                f"{offset} row(s) missing here; the row verifies as sequence {sequence + offset} "
                "and later rows were renumbered"
            )
    return "edited", "the row's content and its link to the previous row do not match its hash"


def chain_verify(*, batch_size: int = DEFAULT_BATCH_SIZE, using: str = "default") -> VerifyResult:
    """Check the whole audit chain in sequence order and report the first problem found.

    ``using`` names the database alias, so a restored copy can be checked before it is used.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    key = settings.AUDIT_HMAC_KEY.encode()
    expected_sequence = 1
    expected_prev = chain.GENESIS_HASH
    last_id = 0
    checked = 0

    def broken(sequence: int, kind: TamperKind, message: str) -> VerifyResult:
        return VerifyResult(
            ok=False,
            rows_checked=checked,
            last_sequence=expected_sequence - 1,
            sequence=sequence,
            kind=kind,
            message=message,
        )

    while True:
        for row in _rows_after(expected_sequence - 1, last_id, batch_size, using):
            sequence = row["sequence"]
            if sequence < expected_sequence:
                return broken(sequence, "inserted", "a second row carries this sequence number")
            if sequence > expected_sequence:
                missing = sequence - expected_sequence
                return broken(
                    expected_sequence,
                    "deleted",
                    f"{missing} row(s) missing: the sequence jumps to {sequence}",
                )
            if not (_hash_matches(key, row) and row["prev_hash"] == expected_prev):
                kind, message = _classify_bad_row(key, row, expected_prev, using)
                return broken(sequence, kind, message)
            expected_prev = row["row_hash"]
            last_id = row["id"]
            expected_sequence += 1
            checked += 1

        # The head is read after the rows: a genuine append commits its row and the head together, so
        # a head ahead of the last row either means rows arrived meanwhile (read on) or were removed.
        head = _head(using)
        last_sequence = expected_sequence - 1
        head_sequence, head_hash = head or (0, chain.GENESIS_HASH)
        if head is None and last_sequence > 0:
            # Without its head the log cannot be appended to (the next row would reuse sequence 1).
            return broken(
                last_sequence,
                "deleted",
                f"the chain head record is missing; the log ends at {last_sequence}",
            )
        if head_sequence > last_sequence:
            if AuditEvent.objects.using(using).filter(sequence__gt=last_sequence).exists():
                continue
            return broken(
                expected_sequence,
                "deleted",
                f"the chain head records {head_sequence} rows but the log ends at {last_sequence} "
                "(truncated)",
            )
        if head_sequence < last_sequence:
            return broken(
                head_sequence + 1,
                "inserted",
                f"rows continue past the chain head (sequence {head_sequence})",
            )
        if head_hash != expected_prev:
            return broken(
                last_sequence, "edited", "the chain head's hash does not match the last row"
            )
        return VerifyResult(ok=True, rows_checked=checked, last_sequence=last_sequence)
