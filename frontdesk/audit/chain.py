"""The keyed hash chain over audit rows: one canonical form, used to write and to verify."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64

# The fields covered by the hash, in order. Adding a field here breaks every existing chain: do it only
# with a migration that records the switch-over sequence.
HASHED_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_name",
    "actor_role",
    "patient_id",
    "action",
    "category",
    "object_type",
    "object_id",
    "outcome",
    "source_ip",
    "request_id",
    "emergency_access",
    "emergency_grant_id",
    "detail",
    "prev_hash",
)


def _normalise(name: str, value: Any) -> Any:
    if name == "occurred_at":
        assert isinstance(value, datetime) and value.tzinfo is not None
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def canonical_bytes(values: dict[str, Any]) -> bytes:
    """Serialise the hashed fields deterministically (sorted keys, no whitespace, UTC microseconds)."""
    payload = {name: _normalise(name, values[name]) for name in HASHED_FIELDS}
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str
    ).encode()


def row_hash(key: bytes, values: dict[str, Any]) -> str:
    return hmac.new(key, canonical_bytes(values), hashlib.sha256).hexdigest()
