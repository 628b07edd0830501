"""Writing the audit log. Every PHI read or write calls ``audit_record`` inside its own transaction."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from frontdesk.audit import chain
from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.models import AuditChainHead, AuditEvent, EmergencyAccessGrant, FieldChange
from frontdesk.core import context
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from frontdesk.core.queryset import get_restricted


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


def _chain_head_locked() -> AuditChainHead:
    """Lock the chain head for this transaction, creating it on a fresh install.

    Writers that all find no head race to insert it: the losers wait on the primary key, get an
    IntegrityError once the winner commits, and then lock the winner's row like everyone else.
    """
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            return AuditChainHead.objects.create(pk=1)
    except IntegrityError:
        return AuditChainHead.objects.select_for_update().get(pk=1)


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
        head = _chain_head_locked()
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


def audit_report_access_record(
    *,
    actor: AuditActor,
    action: AuditAction,
    report: str,
    filter_names: Iterable[str] = (),
    sort: str = "",
    page: int | None = None,
) -> AuditEvent:
    """Record that ``actor`` viewed (``read``) or exported (``export``) an audit report.

    The detail names which filters were used, never their values: a patient id typed into the report's
    filter is itself a fact about who was looked into.
    """
    detail: dict[str, Any] = {"report": report, "filters": sorted(set(filter_names))}
    if sort:
        detail["sort"] = sort
    if page is not None:
        detail["page"] = page
    return audit_record(
        actor=actor, action=action, category=AuditCategory.AUDIT, object_type=report, detail=detail
    )


def emergency_grant_review(
    *, reviewer: AuditActor, grant_id: int, note: str
) -> EmergencyAccessGrant:
    """Mark a break-glass grant reviewed by the privacy officer, with a note; audited.

    A grant is reviewed once, after it has ended or expired (while it is in force more access can still
    happen under it), and never by the person who used it.
    """
    note = note.strip()
    if not note:
        raise ValidationFailed("Write what the review found.", code="note_required", field="note")
    with transaction.atomic():
        grant: EmergencyAccessGrant = get_restricted(
            EmergencyAccessGrant.objects.select_for_update(),
            reviewer,  # type: ignore[arg-type]
            "breakglass.review",
            pk=grant_id,
        )
        if grant.user_id == reviewer.pk:
            raise PermissionDenied("Emergency access is reviewed by someone other than its user.")
        if grant.reviewed_at is not None:
            raise Conflict("This emergency access has already been reviewed.", code="reviewed")
        now = timezone.now()
        if grant.is_in_force(now):
            raise Conflict(
                "This emergency access is still in force; review it once it has ended.",
                code="in_force",
            )
        grant.reviewed_by_id = reviewer.pk
        grant.reviewed_at = now
        grant.review_note = note
        grant.save(update_fields=["reviewed_by", "reviewed_at", "review_note", "updated_at"])
        audit_record(
            actor=reviewer,
            action=AuditAction.UPDATE,
            category=AuditCategory.SECURITY,
            object_type="emergency_access_grant",
            object_id=grant.pk,
            detail={"review": "completed", "grant_user_id": grant.user_id},
        )
    return grant
