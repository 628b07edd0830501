"""Filing: a segment of an inbox item becomes a document in a patient's chart.

The chart document's first version is its own PDF made of the segment's pages (the deleted ones
left out, each turned upright): for a PDF the pages are copied with pypdf (text layer and vectors
kept), for TIFF / JPEG / PNG the upright page images are put into a PDF. It is stored as a blob like
any arrival (content-addressed, encrypted); the inbox item keeps the original file unchanged.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.db import transaction
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader, PdfWriter

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.documents import blobs
from frontdesk.documents.analysis.pages import render_page
from frontdesk.documents.choices import (
    WORK_QUEUE_BY_TYPE,
    DocType,
    FiledBy,
    ItemStatus,
    Kind,
    SegmentStatus,
)
from frontdesk.documents.models import (
    Document,
    DocumentVersion,
    InboxItem,
    InboxPage,
    InboxSegment,
)
from frontdesk.documents.sniff import sniff
from frontdesk.patients.models import Patient

FILED_PDF_DPI = 200


def page_image(*, item: InboxItem, index: int, data: bytes | None = None) -> Image.Image:
    """Page ``index`` of the item as an upright greyscale image (the page's rotation applied)."""
    if data is None:
        data = blobs.blob_read(item.blob)
    page = render_page(data, item.blob.kind, index, dpi=FILED_PDF_DPI)
    rotation = (
        InboxPage.objects.filter(item=item, index=index).values_list("rotation", flat=True).first()
    )
    image = page.image
    if rotation:
        # ``rotation`` is clockwise; PIL's rotate() turns counter-clockwise.
        image = image.rotate(-rotation, expand=True)
    return image


def _rotations(item: InboxItem) -> dict[int, int]:
    return dict(InboxPage.objects.filter(item=item).values_list("index", "rotation"))


def build_pdf(*, item: InboxItem, indexes: list[int], data: bytes | None = None) -> bytes:
    """A PDF of the item's pages ``indexes`` in that order, each upright."""
    if not indexes:
        raise ValidationFailed("A document needs at least one page.", field="pages")
    if data is None:
        data = blobs.blob_read(item.blob)
    rotations = _rotations(item)
    if item.blob.kind == Kind.PDF:
        reader = PdfReader(io.BytesIO(data))
        writer = PdfWriter()
        for index in indexes:
            page = writer.add_page(reader.pages[index])
            if rotations.get(index):
                page.rotate(rotations[index])
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    images = []
    for index in indexes:
        image = render_page(data, item.blob.kind, index, dpi=FILED_PDF_DPI).image
        if rotations.get(index):
            image = image.rotate(-rotations[index], expand=True)
        images.append(image.convert("L"))
    out = io.BytesIO()
    images[0].save(
        out, format="PDF", save_all=True, append_images=images[1:], resolution=FILED_PDF_DPI
    )
    return out.getvalue()


def store_pdf(pdf: bytes) -> blobs.Blob:
    """Store a PDF that FrontDesk made (sniffed like any arrival) and return its blob."""
    sniffed = sniff(pdf, name="document.pdf", max_bytes=1 << 40, max_pages=1 << 20, max_pixels=0)
    if not sniffed.accepted:  # a PDF we wrote ourselves: never expected
        raise ValidationFailed(f"The filed PDF could not be stored: {sniffed.reason}")
    blob, _created = blobs.blob_store(pdf, sniffed=sniffed)
    return blob


def default_title(doc_type: str, sender: str | None = None) -> str:
    label = str(DocType(doc_type).label) if doc_type in DocType.values else "Document"
    return f"{label} from {sender}"[:200] if sender else label


def segment_file(
    *,
    actor: Any,
    segment_id: int,
    patient_id: int,
    doc_type: str,
    title: str = "",
    document_date: dt.date | None = None,
    appointment_id: int | None = None,
    filed_by: str = FiledBy.PERSON,
    urgent: bool = False,
    assigned_to_id: int | None = None,
    data: bytes | None = None,
) -> Document:
    """File one segment into ``patient_id``'s chart and return the chart document.

    ``actor`` None is the pipeline (``filed_by`` code or match); a person files with
    ``filed_by`` person and needs ``document.file`` in the item's location. The segment is locked:
    a segment filed meanwhile (by the pipeline or a colleague) is refused with a clear message and
    nothing written. The item is marked filed once none of its segments waits for review.
    """
    if actor is None and filed_by == FiledBy.PERSON:
        raise ValidationFailed("Filing by a person needs the person.")
    if actor is not None:
        if filed_by != FiledBy.PERSON:
            raise ValidationFailed("A person files as themselves.")
        if not actor.can(A.DOCUMENT_FILE):
            raise PermissionDenied()
    if doc_type not in DocType.values:
        raise ValidationFailed(f"Unknown document type {doc_type!r}.", field="doc_type")
    title = (title or "").strip()[:200] or default_title(doc_type)
    with transaction.atomic():
        queryset = InboxSegment.objects.select_related("item", "item__blob")
        if actor is not None:
            queryset = queryset.restrict(actor, A.DOCUMENT_FILE)
        segment = queryset.select_for_update().filter(pk=segment_id).first()
        if segment is None:
            raise NotFound()
        if segment.status != SegmentStatus.REVIEW:
            raise ValidationFailed(
                f"This document was already {segment.get_status_display().lower()}"
                + (" by someone else." if segment.status == SegmentStatus.FILED else "."),
                field="segment",
            )
        item = segment.item
        patients = Patient.objects if actor is None else Patient.objects.scope_for(actor)
        patient = patients.filter(pk=patient_id, merged_into__isnull=True).first()
        if patient is None:
            raise ValidationFailed("Choose a patient for this document.", field="patient")
        deleted = set(
            InboxPage.objects.filter(item=item, deleted=True).values_list("index", flat=True)
        )
        indexes = [index for index in segment.page_indexes if index not in deleted]
        if not indexes:
            raise ValidationFailed(
                "Every page of this document is deleted: restore a page or delete the document.",
                field="pages",
            )
        blob = store_pdf(build_pdf(item=item, indexes=indexes, data=data))
        # The segment's work queue (set by type, or chosen in review) goes with it into the chart;
        # a type given here other than the segment's routes by that type.
        work_queue = (
            segment.work_queue
            if doc_type == segment.doc_type
            else WORK_QUEUE_BY_TYPE.get(doc_type, "")
        )
        text = "\n\f".join(
            InboxPage.objects.filter(item=item, index__in=indexes)
            .order_by("index")
            .values_list("text", flat=True)
        )
        document = Document.objects.create(
            patient=patient,
            location_id=item.location_id,
            doc_type=doc_type,
            title=title,
            document_date=document_date,
            appointment_id=appointment_id,
            source_item=item,
            filed_by=filed_by,
            filed_by_user=actor,
            urgent=urgent,
            assigned_to_id=assigned_to_id,
            work_queue=work_queue,
        )
        DocumentVersion.objects.create(
            document=document,
            number=1,
            blob=blob,
            pages=len(indexes),
            text=text,
            created_by=actor,
        )
        InboxSegment.objects.filter(pk=segment.pk).update(
            status=SegmentStatus.FILED,
            document=document,
            patient=patient,
            doc_type=doc_type,
            title=title,
            document_date=document_date,
            updated_at=timezone.now(),
        )
        item_status_refresh(item)
        audit_record(
            actor=actor,
            actor_name=None if actor is not None else f"document pipeline ({filed_by})",
            action=AuditAction.CREATE,
            category=AuditCategory.DOCUMENTS,
            patient_id=patient.pk,
            object_type="document",
            object_id=document.pk,
            detail={
                "inbox_item_id": item.pk,
                "segment_id": segment.pk,
                "doc_type": doc_type,
                "filed_by": filed_by,
                "pages": len(indexes),
                "blob_id": blob.pk,
                "match_score": round(segment.match_score, 3),
                "work_queue": work_queue,
            },
        )
    return document


def item_status_refresh(item: InboxItem) -> str:
    """Filed when no segment waits for review and one was filed; review otherwise. Returns it."""
    if item.status in (ItemStatus.QUARANTINED, ItemStatus.DELETED):
        return str(item.status)
    statuses = set(item.segments.values_list("status", flat=True))
    status = (
        ItemStatus.FILED
        if SegmentStatus.REVIEW not in statuses and SegmentStatus.FILED in statuses
        else ItemStatus.REVIEW
    )
    InboxItem.objects.filter(pk=item.pk).update(status=status, updated_at=timezone.now())
    item.status = status
    return str(status)
