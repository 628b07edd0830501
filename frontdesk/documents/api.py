"""JSON API of the document inbox: list and read inbox items, upload one file.

``POST /documents`` takes ``multipart/form-data`` with one ``file`` and the ``location_id`` whose inbox
receives it, or (for integrations that only speak JSON) ``{"location_id": "3", "file_name":
"letter.pdf", "content_base64": "..."}``. It answers 201 with the item for every file received,
including a duplicate (``duplicate_of`` set) and quarantined content (``status`` "quarantined" with
``quarantine_code``/``quarantine_reason``): bad content never fails the request. The bytes are not
served here; the staff screen's audited download is the way to them.

Status: ``received`` (queued or being read), ``filed`` (every part in a chart), ``review`` (waiting
for a person), ``quarantined``, ``deleted``. ``patient``, ``type``, ``confidence`` and ``reasons``
describe the document the pipeline made of the file: the patient only once filed; for a packet split
into several documents they describe the first and ``parts`` lists every one.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from ninja.responses import Status

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import READ_ERRORS, WRITE_ERRORS
from frontdesk.api.schemas import ID_PATH, list_answer
from frontdesk.core.errors import NotFound, ValidationFailed
from frontdesk.documents import selectors, services
from frontdesk.documents.choices import ItemStatus, SegmentStatus, Source
from frontdesk.documents.models import InboxItem, InboxSegment
from frontdesk.practice.models import Location

router = Router(tags=["documents"])

MAX_LIMIT = 500
SINCE_QUERY = Query(None, description="Received at or after (ISO 8601 with an offset)")


class PartOut(Schema):
    pages: list[int]
    status: str
    patient: str | None
    type: str
    confidence: float
    reasons: list[str]
    filed_by: str | None
    document_id: str | None


class DocumentOut(Schema):
    id: str
    location_id: str
    source: str
    file_name: str
    sha256: str
    size: int
    status: str
    kind: str
    pages: int
    quarantine_code: str | None
    quarantine_reason: str | None
    duplicate_of: str | None
    received_at: dt.datetime
    patient: str | None
    type: str | None
    confidence: float | None
    reasons: list[str]
    parts: list[PartOut]


class DocumentList(Schema):
    items: list[DocumentOut]
    count: int


def _part(segment: InboxSegment) -> dict[str, Any]:
    filed = segment.status == SegmentStatus.FILED
    return {
        "pages": [index + 1 for index in segment.page_indexes],
        "status": segment.status,
        "patient": str(segment.patient_id) if filed and segment.patient_id else None,
        "type": segment.doc_type,
        "confidence": segment.type_confidence,
        "reasons": [*segment.type_reasons, *segment.match_reasons],
        "filed_by": segment.document.filed_by if filed and segment.document else None,
        "document_id": str(segment.document_id) if segment.document_id else None,
    }


def _out(item: InboxItem, segments: list[InboxSegment] | None = None) -> dict[str, Any]:
    parts = [_part(segment) for segment in segments or []]
    first = parts[0] if parts else None
    return {
        "id": str(item.pk),
        "location_id": str(item.location_id),
        "source": item.source,
        "file_name": item.display_name,
        "sha256": item.blob.sha256,
        "size": item.blob.size,
        "status": item.status,
        "kind": item.blob.kind,
        "pages": item.blob.pages,
        "quarantine_code": item.quarantine_code or None,
        "quarantine_reason": item.quarantine_reason or None,
        "duplicate_of": str(item.duplicate_of_id) if item.duplicate_of_id else None,
        "received_at": item.received_at,
        "patient": first["patient"] if first else None,
        "type": first["type"] if first else None,
        "confidence": first["confidence"] if first else None,
        "reasons": first["reasons"] if first else [],
        "parts": parts,
    }


@router.get(
    "/documents",
    auth=requires(A.DOCUMENT_VIEW),
    response={200: DocumentList, **READ_ERRORS},
    summary="Inbox items of the caller's locations, newest first",
    operation_id="document_list",
)
def document_list(
    request: HttpRequest,
    status: str = Query(
        "", max_length=20, description="received, review, filed, quarantined or deleted"
    ),
    since: dt.datetime | None = SINCE_QUERY,
    patient: int | None = Query(
        None, ge=1, le=2**63 - 1, description="Items with a part filed to this patient"
    ),
    location: int | None = Query(None, ge=1, le=2**63 - 1, description="One location's inbox"),
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
) -> dict[str, Any]:
    if status and status not in ItemStatus.values:
        raise ValidationFailed(
            f"Unknown status {status!r}: one of {', '.join(ItemStatus.values)}.", field="status"
        )
    user = api_user(request)
    place = None
    if location is not None:
        place = Location.objects.restrict(user, A.DOCUMENT_VIEW).filter(pk=location).first()
        if place is None:
            raise NotFound()
    items = list(
        selectors.inbox_item_list(
            actor=user,
            location=place,
            status=status,
            since=since,
            limit=limit,
            patient_id=patient,
        )
    )
    segments = selectors.inbox_item_segments(actor=user, items=items) if items else {}
    return list_answer([_out(item, segments.get(item.pk)) for item in items])


@router.get(
    "/documents/{document_id}",
    auth=requires(A.DOCUMENT_VIEW),
    response={200: DocumentOut, **READ_ERRORS},
    summary="One inbox item (no bytes)",
    operation_id="document_get",
)
def document_get(request: HttpRequest, document_id: int = Path(..., **ID_PATH)) -> dict[str, Any]:
    user = api_user(request)
    item = selectors.inbox_item_get(actor=user, item_id=document_id)
    return _out(item, selectors.inbox_item_segments(actor=user, items=[item])[item.pk])


def _upload(request: HttpRequest) -> tuple[str, str, bytes]:
    """(location id, file name, bytes) from a multipart form or a JSON body."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise ValidationFailed("The body is not valid JSON.", field="content_base64") from None
        if not isinstance(data, dict) or not isinstance(data.get("content_base64"), str):
            raise ValidationFailed(
                'Send the file as "content_base64" (or as multipart "file").',
                field="content_base64",
            )
        try:
            content = base64.b64decode(data["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed(
                "content_base64 is not valid base64.", field="content_base64"
            ) from None
        return str(data.get("location_id") or ""), str(data.get("file_name") or ""), content
    files = request.FILES.getlist("file")
    if len(files) != 1:
        raise ValidationFailed('Send exactly one file as the multipart field "file".', field="file")
    upload = files[0]
    return str(request.POST.get("location_id") or ""), upload.name or "", upload.read()


@router.post(
    "/documents",
    auth=requires(A.DOCUMENT_RECEIVE),
    response={201: DocumentOut, **WRITE_ERRORS},
    summary="Upload one file into a location's inbox",
    operation_id="document_upload",
)
def document_upload(request: HttpRequest) -> Status[dict[str, Any]]:
    """201 with the item whatever the content: quarantined content is an item too (``status``
    "quarantined", with its reason). 404 for a location outside the caller's, 400 for a missing
    file or location."""
    location_id, name, content = _upload(request)
    if not location_id.isdigit() or not 1 <= int(location_id) <= 2**63 - 1:
        raise ValidationFailed(
            "Give the location_id whose inbox receives the file.", field="location_id"
        )
    location = Location.objects.filter(pk=int(location_id)).first()
    if location is None:
        raise NotFound()
    item = services.document_receive(
        actor=api_user(request), location=location, source=Source.UPLOAD, name=name, data=content
    )
    return Status(201, _out(item))
