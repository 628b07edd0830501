"""Reading the document inbox. Every read of a document's bytes is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.services import audit_record
from frontdesk.core.queryset import get_restricted
from frontdesk.documents.blobs import blob_read
from frontdesk.documents.errors import BlobCorrupt
from frontdesk.documents.models import InboxItem


def inbox_item_get(*, actor: Any, item_id: Any) -> InboxItem:
    """One inbox item the actor may view (NotFound when absent or out of scope); no bytes, no audit."""
    return get_restricted(
        InboxItem.objects.select_related("blob", "location"), actor, A.DOCUMENT_VIEW, pk=item_id
    )


def inbox_item_read_bytes(*, actor: Any, item_id: Any) -> tuple[InboxItem, bytes]:
    """The item and its original bytes, decrypted and verified against the SHA-256; audited.

    A blob that fails its check raises BlobCorrupt (the bytes are never returned) and leaves an audit
    row with outcome "failure", so a damaged document is on record the moment someone tries it.
    """
    item = inbox_item_get(actor=actor, item_id=item_id)
    detail = {"blob_id": item.blob_id, "location_id": item.location_id, "status": item.status}
    try:
        data = blob_read(item.blob)
    except BlobCorrupt as exc:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=AuditAction.READ,
                category=AuditCategory.DOCUMENTS,
                object_type="inbox_item",
                object_id=item.pk,
                outcome=AuditOutcome.FAILURE,
                detail={**detail, "error": exc.code},
            )
        raise
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.READ,
            category=AuditCategory.DOCUMENTS,
            object_type="inbox_item",
            object_id=item.pk,
            detail=detail,
        )
    return item, data


def inbox_item_list(
    *, actor: Any, location: Any, status: str = "", limit: int | None = None, since: Any = None
) -> QuerySet[InboxItem]:
    """A location's inbox (NotFound-free: a location out of the actor's scope lists nothing), newest
    first, optionally of one status and received at or after ``since``. No bytes are read."""
    queryset = (
        InboxItem.objects.restrict(actor, A.DOCUMENT_VIEW)
        .select_related("blob", "location")
        .order_by("-received_at", "-pk")
    )
    if location is not None:
        queryset = queryset.filter(location=location)
    if status:
        queryset = queryset.filter(status=status)
    if since is not None:
        queryset = queryset.filter(received_at__gte=since)
    if limit is not None:
        queryset = queryset[:limit]
    return queryset
