"""Logging a chart document handed out on paper (printed for a patient, a courier, a colleague)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import PermissionDenied, ValidationFailed
from frontdesk.core.queryset import get_restricted
from frontdesk.documents.choices import Channel, CorrespondenceStatus, Direction
from frontdesk.documents.models import Correspondence, Document


@transaction.atomic
def document_print_log(
    *, actor: Any, document_id: Any, recipient: str = "", note: str = ""
) -> Correspondence:
    """Log that ``actor`` printed the document's current version (for ``recipient``); audited.

    One out/print row, status sent, with the pages of the current version. The printing itself is
    the browser's or the printer's; this is the record of it. Needs document.send.
    """
    if not actor.can(A.DOCUMENT_SEND):
        raise PermissionDenied()
    document: Document = get_restricted(
        Document.objects.all(), actor, A.DOCUMENT_SEND, pk=document_id
    )
    version = document.versions.order_by("-number").first()
    if version is None:
        raise ValidationFailed("The document has no file to print.", field="document")
    row = Correspondence.objects.create(
        location=document.location,
        direction=Direction.OUT,
        channel=Channel.PRINT,
        status=CorrespondenceStatus.SENT,
        counterpart=(recipient or "").strip()[:200],
        subject=(note or "").strip()[:200],
        pages=version.pages,
        patient_id=document.patient_id,
        document=document,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.PRINT,
        category=AuditCategory.DOCUMENTS,
        patient_id=document.patient_id,
        object_type="correspondence",
        object_id=row.pk,
        detail={"document_id": document.pk, "version": version.number, "pages": version.pages},
    )
    return row
