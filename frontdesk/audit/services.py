"""Writing the audit log. Every PHI read or write calls ``audit_record`` inside its own transaction."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from frontdesk.audit import chain
from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.models import AuditChainHead, AuditEvent, EmergencyAccessGrant, FieldChange
from frontdesk.core import context


class AuditActor(Protocol):
    """What the audit log records of an actor; ``accounts.User`` implements it."""

    pk: Any
    role: str

    @property
    def display_name(self) -> str: ...


@dataclass(frozen=True)
class Change:
    """One field's change, already rendered as display text (masked when sensitive)."""

    field: str
    old: str
    new: str


def _audit_key() -> bytes:
    return settings.AUDIT_HMAC_KEY.encode()


def _source_ip(raw: str | None) -> str | None:
    """Return the address as the database will store and give it back (the hash must match on read).

    IPv6 is compressed the way ``GenericIPAddressField`` does on save; an unparseable value (a broken
    proxy header) is dropped rather than failing the audited work or breaking the chain.
    """
    if not raw:
        return None
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return None
    if address.version == 6:
        return clean_ipv6_address(str(address))
    return str(address)


def _grant_in_force(actor: AuditActor | None, at: datetime) -> EmergencyAccessGrant | None:
    if actor is None or actor.pk is None:
        return None
    return (
        EmergencyAccessGrant.objects.filter(
            user_id=actor.pk, ended_at__isnull=True, started_at__lte=at, expires_at__gt=at
        )
        .order_by("-started_at")
        .first()
    )


def audit_record(
    *,
    actor: AuditActor | None,
    action: AuditAction | str,
    category: AuditCategory | str,
    patient_id: int | None = None,
    object_type: str = "",
    object_id: str | int = "",
    outcome: AuditOutcome | str = AuditOutcome.SUCCESS,
    detail: Mapping[str, Any] | None = None,
    changes: Iterable[Change] = (),
    actor_name: str | None = None,
) -> AuditEvent:
    """Append one audit row (and its field changes) to the chain, atomically with the caller's work.

    Call it inside the transaction that does the audited work, so the data and its audit row commit or
    roll back together. ``detail`` holds codes and identifiers only; never put PHI in it.
    """
    now = timezone.now()
    request_ctx = context.current()
    grant = _grant_in_force(actor, now) if patient_id is not None else None
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditChainHead(pk=1)
        sequence = head.last_sequence + 1
        values: dict[str, Any] = {
            "sequence": sequence,
            "occurred_at": now,
            "actor_id": actor.pk if actor is not None else None,
            "actor_name": (actor_name or (actor.display_name if actor is not None else "system"))[
                :200
            ],
            "actor_role": (actor.role if actor is not None else "")[:32],
            "patient_id": patient_id,
            "action": str(action),
            "category": str(category),
            "object_type": object_type[:64],
            "object_id": str(object_id)[:64],
            "outcome": str(outcome),
            "source_ip": _source_ip(request_ctx.source_ip) if request_ctx else None,
            "request_id": request_ctx.request_id if request_ctx else "",
            "emergency_access": grant is not None,
            "emergency_grant_id": grant.pk if grant is not None else None,
            "detail": dict(detail or {}),
            "prev_hash": head.last_hash,
        }
        row_hash = chain.row_hash(_audit_key(), values)
        event = AuditEvent.objects.create(row_hash=row_hash, **values)
        head.last_sequence = sequence
        head.last_hash = row_hash
        head.save()
        change_rows = [
            FieldChange(
                audit_event=event,
                patient_id=patient_id,  # type: ignore[misc]  # checked below
                object_type=object_type,
                object_id=str(object_id),
                field=change.field,
                old_value=change.old,
                new_value=change.new,
            )
            for change in changes
            if change.old != change.new
        ]
        if change_rows:
            if patient_id is None:
                raise ValueError("Field changes are recorded against a patient.")
            FieldChange.objects.bulk_create(change_rows)
    return event
