"""Writing the document inbox: receiving arrivals, rotating the blob keys."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.documents import blobs
from frontdesk.documents.choices import ItemStatus, Source
from frontdesk.documents.errors import BlobCorrupt
from frontdesk.documents.models import Blob, InboxItem
from frontdesk.documents.sniff import safe_display_name, sniff
from frontdesk.practice.models import Location


def document_limits() -> dict[str, int]:
    """The caps sniffing applies, from settings."""
    return {
        "max_bytes": int(settings.FRONTDESK_DOCUMENT_MAX_BYTES),
        "max_pages": int(settings.FRONTDESK_DOCUMENT_MAX_PAGES),
        "max_pixels": int(settings.FRONTDESK_DOCUMENT_MAX_PIXELS),
    }


def document_receive(
    *, actor: Any, location: Location | None, source: str, name: str, data: bytes
) -> InboxItem:
    """Put one arrival into ``location``'s inbox and return its item.

    The contract: bad CONTENT never raises. An empty, oversized, disguised, damaged, encrypted or
    unknown file becomes a quarantined item with the reason in words, and its original bytes are
    stored like any other (nothing that arrives is ever lost). What does raise, with nothing
    written: no location or an unknown source (ValidationFailed), an upload without a person
    (ValidationFailed), a person whose role may not receive documents (PermissionDenied) or a
    location outside theirs (NotFound). ``actor`` None is a machine source (watched folder, mail
    poller, fax webhook, command line run by the operator).

    Content already stored (same SHA-256) is not stored again; when the same location's inbox already
    has an arrival of it, the new item points at the first one (``duplicate_of``).
    """
    if location is None:
        raise ValidationFailed(
            "Choose the location whose inbox receives the document.", field="location"
        )
    if source not in Source.values:
        raise ValidationFailed(f"Unknown document source {source!r}.", field="source")
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValidationFailed("The document's content must be bytes.", field="data")
    if actor is None and source == Source.UPLOAD:
        raise ValidationFailed("A browser upload needs the person uploading.", field="source")
    if actor is not None:
        if not actor.can(A.DOCUMENT_RECEIVE):
            raise PermissionDenied()
        if not Location.objects.restrict(actor, A.DOCUMENT_RECEIVE).filter(pk=location.pk).exists():
            raise NotFound()
    content = bytes(data)
    display_name = safe_display_name(name)
    sniffed = sniff(content, name=display_name, **document_limits())
    with transaction.atomic():
        blob, created = blobs.blob_store(content, sniffed=sniffed)
        # Arrivals of the same content take turns on the blob's row, so exactly one is the first.
        Blob.objects.select_for_update().filter(pk=blob.pk).first()
        first = (
            InboxItem.objects.filter(blob=blob, location=location)
            .order_by("received_at", "pk")
            .first()
        )
        item = InboxItem.objects.create(
            location=location,
            source=source,
            display_name=display_name,
            received_at=timezone.now(),
            received_by=actor,
            blob=blob,
            status=ItemStatus.RECEIVED if sniffed.accepted else ItemStatus.QUARANTINED,
            quarantine_code=sniffed.code,
            quarantine_reason=sniffed.reason,
            duplicate_of=first,
        )
        audit_record(
            actor=actor,
            actor_name=None if actor is not None else f"document intake ({source})",
            action=AuditAction.CREATE,
            category=AuditCategory.DOCUMENTS,
            object_type="inbox_item",
            object_id=item.pk,
            # Codes and identifiers only: the file name may name a patient.
            detail={
                "location_id": location.pk,
                "source": source,
                "status": item.status,
                "quarantine_code": sniffed.code,
                "kind": blob.kind,
                "pages": blob.pages,
                "size": blob.size,
                "blob_id": blob.pk,
                "blob_created": created,
                "duplicate_of": first.pk if first is not None else None,
            },
        )
        if item.status == ItemStatus.RECEIVED:
            transaction.on_commit(partial(_enqueue_processing, item.pk))
    return item


def _enqueue_processing(item_id: int) -> None:
    from frontdesk.documents.tasks import document_process

    document_process.enqueue(item_id)


@dataclass(frozen=True)
class RotationResult:
    rotated: int
    already_current: int
    failed: list[str]  # messages naming the blobs that could not be read (left as they were)


def document_keys_rotate(*, actor: Any = None) -> RotationResult:
    """Re-encrypt every blob not under the current document key; one audit row for the run.

    A blob that fails its check (missing, damaged) is left as it is and reported: rotation never
    re-encrypts bytes it could not verify. Run it again after a failure; done blobs are skipped.
    """
    current = blobs.current_key().key_id
    rotated = 0
    failed: list[str] = []
    for blob in Blob.objects.exclude(key_id=current).order_by("pk").iterator():
        try:
            rotated += int(blobs.blob_rotate(blob))
        except BlobCorrupt as exc:
            failed.append(exc.message)
    already = Blob.objects.filter(key_id=current).count() - rotated
    with transaction.atomic():
        audit_record(
            actor=actor,
            actor_name=None if actor is not None else "document key rotation",
            action=AuditAction.UPDATE,
            category=AuditCategory.CONFIGURATION,
            object_type="document_keys",
            object_id=current,
            detail={"rotated": rotated, "already_current": already, "failed": len(failed)},
        )
    return RotationResult(rotated=rotated, already_current=already, failed=failed)
