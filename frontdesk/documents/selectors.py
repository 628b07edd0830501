"""Reading the document inbox. Every read of a document's bytes is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.services import audit_record
from frontdesk.core.queryset import get_restricted
from frontdesk.documents.blobs import blob_read
from frontdesk.documents.choices import FiledBy, SegmentStatus
from frontdesk.documents.errors import BlobCorrupt
from frontdesk.documents.models import InboxItem, InboxPage, InboxSegment


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
    *,
    actor: Any,
    location: Any,
    status: str = "",
    limit: int | None = None,
    since: Any = None,
    patient_id: int | None = None,
) -> QuerySet[InboxItem]:
    """A location's inbox (NotFound-free: a location out of the actor's scope lists nothing), newest
    first, optionally of one status, received at or after ``since``, or with a part filed to one
    patient. No bytes are read."""
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
    if patient_id is not None:
        queryset = queryset.filter(
            pk__in=InboxSegment.objects.filter(
                patient_id=patient_id, status=SegmentStatus.FILED
            ).values("item_id")
        )
    if limit is not None:
        queryset = queryset[:limit]
    return queryset


@dataclass(frozen=True)
class SegmentOutcome:
    pages: list[int]
    doc_type: str
    type_confidence: float
    status: str
    auto_filed: bool
    filed_by: str  # code | match | person | "" (not filed)
    patient_id: int | None  # filed to, or the top suggestion while in review
    suggestions: list[int]  # ranked patient ids
    reasons: list[str]
    document_id: int | None


@dataclass(frozen=True)
class ItemOutcome:
    item_id: int
    status: str
    stage: str
    error: str
    seconds: float | None
    pages: int
    segments: list[SegmentOutcome]


def inbox_item_outcome(*, item_id: int) -> ItemOutcome:
    """How the pipeline left one item: ids, codes and scores only (for the CLI and the benchmark;
    no names, so no audited read)."""
    item = InboxItem.objects.get(pk=item_id)
    segments = []
    for segment in InboxSegment.objects.filter(item=item).select_related("document"):
        document = segment.document
        filed_by = document.filed_by if document is not None else ""
        segments.append(
            SegmentOutcome(
                pages=list(segment.page_indexes),
                doc_type=segment.doc_type,
                type_confidence=segment.type_confidence,
                status=segment.status,
                auto_filed=filed_by in (FiledBy.CODE, FiledBy.MATCH),
                filed_by=filed_by,
                patient_id=segment.patient_id,
                suggestions=[int(s["patient_id"]) for s in segment.suggestions],
                reasons=list(segment.match_reasons),
                document_id=segment.document_id,
            )
        )
    return ItemOutcome(
        item_id=item.pk,
        status=item.status,
        stage=item.stage,
        error=item.processing_error,
        seconds=item.seconds,
        pages=InboxPage.objects.filter(item=item).count(),
        segments=segments,
    )


def inbox_item_segments(
    *, actor: Any, items: list[InboxItem], audit: bool = True
) -> dict[int, list[InboxSegment]]:
    """The segments of ``items`` by item id (one query). Which patient a filed document belongs to
    is PHI: the read is audited as one row naming the patients (ids only)."""
    found: dict[int, list[InboxSegment]] = {item.pk: [] for item in items}
    for segment in (
        InboxSegment.objects.filter(item__in=[item.pk for item in items])
        .select_related("document", "patient")
        .order_by("item_id", "position")
    ):
        found[segment.item_id].append(segment)
    patients = sorted(
        {s.patient_id for parts in found.values() for s in parts if s.status == SegmentStatus.FILED}
        - {None}
    )
    if audit and patients:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=AuditAction.READ,
                category=AuditCategory.DOCUMENTS,
                patient_id=patients[0] if len(patients) == 1 else None,
                object_type="inbox_item",
                object_id=items[0].pk if len(items) == 1 else "list",
                detail={"items": len(items), "patient_ids": patients[:500]},
            )
    return found
