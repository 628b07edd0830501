"""The correspondence log's incoming rows, written together with the inbox items they describe."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.documents.choices import CorrespondenceStatus, Direction
from frontdesk.documents.models import Correspondence, InboxItem
from frontdesk.practice.models import Location


def correspondence_find(*, channel: str, direction: str, external_id: str) -> Correspondence | None:
    """The row already logged for this transport id (None for an empty id or none yet)."""
    if not external_id:
        return None
    return Correspondence.objects.filter(
        channel=channel, direction=direction, external_id=external_id[:200]
    ).first()


@transaction.atomic
def correspondence_record_in(
    *,
    location: Location,
    channel: str,
    source: str,
    items: Sequence[InboxItem],
    counterpart: str = "",
    subject: str = "",
    external_id: str = "",
    pages: int | None = None,
) -> Correspondence:
    """Log one incoming piece (a fax, a message, a scanned file) that brought ``items``.

    Call it in the same transaction as the ``document_receive`` calls, so an arrival and its log row
    are committed together (a crash leaves neither). ``inbox_item`` is the first item; ``pages`` the
    sum of the items' pages unless given. Audited with ids and counts only (no names, no subject).
    """
    row = Correspondence.objects.create(
        location=location,
        direction=Direction.IN,
        channel=channel,
        status=CorrespondenceStatus.RECEIVED,
        counterpart=counterpart.strip()[:200],
        subject=subject.strip()[:200],
        pages=pages if pages is not None else sum(item.blob.pages for item in items),
        inbox_item=items[0] if items else None,
        external_id=external_id[:200],
    )
    audit_record(
        actor=None,
        actor_name=f"document intake ({source})",
        action=AuditAction.CREATE,
        category=AuditCategory.DOCUMENTS,
        object_type="correspondence",
        object_id=row.pk,
        detail={
            "location_id": location.pk,
            "direction": Direction.IN,
            "channel": channel,
            "items": [item.pk for item in items],
            "pages": row.pages,
        },
    )
    return row
