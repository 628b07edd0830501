"""JSON API of the document inbox: list and read inbox items, upload one file.

``POST /documents`` takes ``multipart/form-data`` with one ``file`` and the ``location_id`` whose inbox
receives it, or (for integrations that only speak JSON) ``{"location_id": "3", "file_name":
"letter.pdf", "content_base64": "..."}``. It answers 201 with the item for every file received,
including a duplicate (``duplicate_of`` set) and quarantined content (``status`` "quarantined" with
``quarantine_code``/``quarantine_reason``): bad content never fails the request. The bytes are not
served here; the staff screen's audited download is the way to them.

``patient``, ``type``, ``confidence`` and ``reasons`` are the classification the pipeline will fill
in (issue 7); until then they are null, null, null and an empty list.
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
from frontdesk.documents.choices import ItemStatus, Source
from frontdesk.documents.models import InboxItem
from frontdesk.practice.models import Location

router = Router(tags=["documents"])

MAX_LIMIT = 500
SINCE_QUERY = Query(None, description="Received at or after (ISO 8601 with an offset)")


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


class DocumentList(Schema):
    items: list[DocumentOut]
    count: int


def _out(item: InboxItem) -> dict[str, Any]:
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
        # Filled by the processing pipeline (classification, patient matching) when it lands.
        "patient": None,
        "type": None,
        "confidence": None,
        "reasons": [],
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
    status: str = Query("", max_length=20, description="received or quarantined"),
    since: dt.datetime | None = SINCE_QUERY,
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
    items = selectors.inbox_item_list(
        actor=user, location=place, status=status, since=since, limit=limit
    )
    return list_answer([_out(item) for item in items])


@router.get(
    "/documents/{document_id}",
    auth=requires(A.DOCUMENT_VIEW),
    response={200: DocumentOut, **READ_ERRORS},
    summary="One inbox item (no bytes)",
    operation_id="document_get",
)
def document_get(request: HttpRequest, document_id: int = Path(..., **ID_PATH)) -> dict[str, Any]:
    return _out(selectors.inbox_item_get(actor=api_user(request), item_id=document_id))


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
