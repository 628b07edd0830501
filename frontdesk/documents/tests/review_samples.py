"""Review-queue fixtures made by hand: an arrival the pipeline is done with, its pages and parts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from frontdesk.documents.choices import DocType, FiledBy, ItemStatus, Stage
from frontdesk.documents.models import (
    Document,
    DocumentVersion,
    InboxItem,
    InboxPage,
    InboxSegment,
)
from frontdesk.documents.services import document_receive
from frontdesk.documents.tests import samples


def review_item(
    location: Any,
    *,
    pages: int = 2,
    text: str = "Synthetic review letter",
    received_at: dt.datetime | None = None,
    urgent: bool = False,
) -> InboxItem:
    """A faxed PDF of ``pages`` pages, read by the (pretend) pipeline and waiting for review."""
    item = document_receive(
        actor=None,
        location=location,
        source="fax",
        name="review.pdf",
        data=samples.pdf(pages=pages, text=text),
    )
    InboxItem.objects.filter(pk=item.pk).update(
        status=ItemStatus.REVIEW,
        stage=Stage.DONE,
        urgent=urgent,
        received_at=received_at or item.received_at,
    )
    for index in range(pages):
        InboxPage.objects.create(item=item, index=index, text=f"{text} page {index + 1}")
    item.refresh_from_db()
    return item


def segment(
    item: InboxItem,
    *,
    position: int = 0,
    page_indexes: list[int] | None = None,
    doc_type: str = DocType.LAB_RESULT,
    suggestions: list[dict[str, Any]] | None = None,
    patient: Any = None,
    **fields: Any,
) -> InboxSegment:
    return InboxSegment.objects.create(
        item=item,
        position=position,
        page_indexes=list(range(item.blob.pages)) if page_indexes is None else page_indexes,
        doc_type=doc_type,
        suggestions=suggestions or [],
        patient=patient,
        **fields,
    )


def suggestion(patient: Any, score: float, *reasons: str) -> dict[str, Any]:
    return {"patient_id": patient.pk, "score": score, "reasons": list(reasons)}


def chart_document(
    patient: Any,
    location: Any,
    *,
    title: str = "Zz lab result",
    doc_type: str = DocType.LAB_RESULT,
    text: str = "",
    document_date: dt.date | None = None,
    assigned_to: Any = None,
) -> Document:
    """A chart document filed by code, with version 1 holding a small PDF."""
    from frontdesk.documents import blobs
    from frontdesk.documents.services import document_limits
    from frontdesk.documents.sniff import sniff

    data = samples.pdf(text=title)
    blob, _ = blobs.blob_store(data, sniffed=sniff(data, name="x.pdf", **document_limits()))
    document = Document.objects.create(
        patient=patient,
        location=location,
        doc_type=doc_type,
        title=title,
        document_date=document_date or timezone.localdate(),
        filed_by=FiledBy.CODE,
        assigned_to=assigned_to,
    )
    DocumentVersion.objects.create(document=document, number=1, blob=blob, pages=1, text=text)
    return document
