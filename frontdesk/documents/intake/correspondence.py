"""The correspondence log: reading it (scoped, one audit row per list) and working it (route, handle)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import PermissionDenied, ValidationFailed
from frontdesk.core.queryset import get_restricted
from frontdesk.documents.choices import CorrespondenceStatus, Direction
from frontdesk.documents.models import Correspondence
from frontdesk.practice.models import Location

LIST_LIMIT = 200


def correspondence_list(
    *,
    actor: Any,
    direction: str = "",
    channel: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    open_only: bool = False,
) -> list[Correspondence]:
    """The log rows of the actor's locations, newest first (at most LIST_LIMIT); one audit row."""
    if not actor.can(A.DOCUMENT_VIEW):
        return []
    rows = Correspondence.objects.restrict(actor, A.DOCUMENT_VIEW).select_related(
        "location",
        "patient",
        "routed_to",
        "handled_by",
        "inbox_item",
        "document",
        "secure_link__revoked_by",
    )
    if direction:
        rows = rows.filter(direction=direction)
    if channel:
        rows = rows.filter(channel=channel)
    if date_from is not None:
        rows = rows.filter(created_at__date__gte=date_from)
    if date_to is not None:
        rows = rows.filter(created_at__date__lte=date_to)
    if open_only:
        rows = rows.filter(handled_at__isnull=True)
    result = list(rows.order_by("-created_at", "-pk")[:LIST_LIMIT])
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.QUERY,
            category=AuditCategory.DOCUMENTS,
            object_type="correspondence",
            detail={
                "direction": direction,
                "channel": channel,
                "open_only": open_only,
                "results": len(result),
            },
        )
    return result


def correspondence_route_targets(*, row: Correspondence) -> list[Any]:
    """Active staff who may view the row's location's documents (whom it may be routed to)."""
    users = get_user_model().objects.filter(is_active=True, is_service_account=False)
    return [
        user
        for user in users.order_by("last_name", "first_name", "username")[:500]
        if user.can(A.DOCUMENT_VIEW)
        and Location.objects.restrict(user, A.DOCUMENT_VIEW).filter(pk=row.location_id).exists()
    ]


def _row_for_work(actor: Any, correspondence_id: Any) -> Correspondence:
    if not actor.can(A.DOCUMENT_FILE):
        raise PermissionDenied()
    row: Correspondence = get_restricted(
        Correspondence.objects.select_for_update(), actor, A.DOCUMENT_FILE, pk=correspondence_id
    )
    return row


@transaction.atomic
def correspondence_route(*, actor: Any, correspondence_id: Any, user_id: Any) -> Correspondence:
    """Route a row to a colleague who may see its location's documents; audited."""
    row = _row_for_work(actor, correspondence_id)
    target = next(
        (user for user in correspondence_route_targets(row=row) if str(user.pk) == str(user_id)),
        None,
    )
    if target is None:
        raise ValidationFailed(
            "Choose a colleague who works with this location's documents.", field="user"
        )
    before = row.routed_to_id
    row.routed_to = target
    row.routed_at = timezone.now()
    row.save(update_fields=["routed_to", "routed_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        category=AuditCategory.DOCUMENTS,
        patient_id=row.patient_id,
        object_type="correspondence",
        object_id=row.pk,
        detail={"routed_to": target.pk, "routed_to_before": before},
    )
    return row


@transaction.atomic
def correspondence_mark_handled(*, actor: Any, correspondence_id: Any) -> Correspondence:
    """Mark a row handled (by the actor, now); an incoming row's status becomes handled. Audited.

    A row already handled stays as it was (no second audit row).
    """
    row = _row_for_work(actor, correspondence_id)
    if row.handled_at is not None:
        return row
    row.handled_at = timezone.now()
    row.handled_by = actor
    before = row.status
    if row.direction == Direction.IN:
        row.status = CorrespondenceStatus.HANDLED
    row.save(update_fields=["handled_at", "handled_by", "status", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        category=AuditCategory.DOCUMENTS,
        patient_id=row.patient_id,
        object_type="correspondence",
        object_id=row.pk,
        detail={"handled": True, "status_before": before, "status": row.status},
    )
    return row
