"""Document inbox screens: a location's inbox (list, filter, upload), one item, its download.

Thin: selectors read (scoped; the bytes only through the audited ``inbox_item_read_bytes``), the
service receives. Ids only in URLs. The inbox list shows no patient; an item's page shows the patients
its parts were filed to, read through ``inbox_item_segments`` (one audit row per view, polls
included). Each download is audited by the selector (a failed one too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.core.errors import DomainError, NotFound, PermissionDenied
from frontdesk.documents import selectors, services
from frontdesk.documents.choices import CONTENT_TYPES, ItemStatus, Kind, Source
from frontdesk.documents.errors import BlobCorrupt
from frontdesk.documents.models import InboxItem
from frontdesk.practice.models import Location

# How many items the inbox page shows (newest first).
PAGE_SIZE = 200
# Kinds a browser may show in place (?inline=1), for the viewer to come.
INLINE_KINDS = frozenset({Kind.PDF, Kind.JPEG, Kind.PNG, Kind.TIFF})


def _user(request: HttpRequest) -> Any:
    return request.user


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class UploadOutcome:
    """What became of one uploaded file, for the page to say."""

    name: str
    item: InboxItem | None
    error: str = ""

    @property
    def summary(self) -> str:
        if self.item is None:
            return f"not received: {self.error}"
        if self.item.is_quarantined:
            return f"quarantined: {self.item.quarantine_reason}"
        if self.item.duplicate_of_id is not None:
            return f"duplicate of #{self.item.duplicate_of_id}"
        return "received"


def _inbox_context(request: HttpRequest, source: Any) -> dict[str, Any]:
    user = _user(request)
    locations = Location.objects.restrict(user, A.DOCUMENT_VIEW).filter(is_active=True)
    pk = _int(source.get("location"))
    location = (locations.filter(pk=pk).first() if pk else None) or locations.first()
    status = str(request.GET.get("status", ""))
    if status not in ItemStatus.values:
        status = ""
    items: Any = []
    if location is not None:
        items = selectors.inbox_item_list(
            actor=user, location=location, status=status, limit=PAGE_SIZE
        )
    return {
        "locations": locations,
        "location": location,
        "status": status,
        "statuses": ItemStatus.choices,
        "items": items,
        "can_receive": user.can(A.DOCUMENT_RECEIVE),
    }


@requires(A.DOCUMENT_VIEW)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "documents/inbox.html", _inbox_context(request, request.GET))


@requires(A.DOCUMENT_RECEIVE)
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """Each file of the form goes through ``document_receive`` on its own: one bad file never stops
    the others, and the page says what became of every one."""
    user = _user(request)
    location = (
        Location.objects.restrict(user, A.DOCUMENT_RECEIVE)
        .filter(pk=_int(request.POST.get("location")) or 0)
        .first()
    )
    files = request.FILES.getlist("files")
    outcomes: list[UploadOutcome] = []
    error = ""
    if location is None:
        error = "Choose the location whose inbox receives the documents."
    elif not files:
        error = "Choose at least one file to upload."
    else:
        for upload_file in files:
            name = upload_file.name or ""
            try:
                item = services.document_receive(
                    actor=user,
                    location=location,
                    source=Source.UPLOAD,
                    name=name,
                    data=upload_file.read(),
                )
            except DomainError as exc:
                outcomes.append(UploadOutcome(name=name, item=None, error=exc.message))
            else:
                outcomes.append(UploadOutcome(name=item.display_name, item=item))
    context = _inbox_context(request, request.POST)
    context.update({"outcomes": outcomes, "upload_error": error})
    return render(request, "documents/inbox.html", context, status=422 if error else 200)


@requires(A.DOCUMENT_VIEW)
@require_GET
def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    """The item, and what the pipeline made of it; while it is being read, the outcome part polls
    itself (htmx) until the item is filed or waits for review."""
    user = _user(request)
    try:
        item = selectors.inbox_item_get(actor=user, item_id=item_id)
    except NotFound:
        raise Http404 from None
    context = {
        "item": item,
        "segments": selectors.inbox_item_segments(actor=user, items=[item])[item.pk],
        "processing": item.status == ItemStatus.RECEIVED,
    }
    if request.htmx and request.GET.get("part") == "outcome":  # type: ignore[attr-defined]
        return render(request, "documents/_item_outcome.html", context)
    return render(request, "documents/item.html", context)


def _disposition(kind: str, name: str, pk: int) -> str:
    """``attachment``/``inline`` with an ASCII-safe file name, plus the exact name (RFC 6266/5987)
    when it is not plain ASCII: no quote, backslash, control character or path survives."""
    fallback = re.sub(r"[^A-Za-z0-9._ -]", "_", name).strip(" .") or f"document-{pk}"
    header = f'{kind}; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


@requires(A.DOCUMENT_VIEW)
@require_GET
def item_download(request: HttpRequest, item_id: int) -> HttpResponse:
    """The original bytes, verified and audited; typed from the sniffed kind, never the uploader's.
    A quarantined item or an unaccepted kind is only ever an attachment."""
    try:
        item, data = selectors.inbox_item_read_bytes(actor=_user(request), item_id=item_id)
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        raise Forbidden from None
    except BlobCorrupt as exc:
        return render(
            request,
            "documents/unreadable.html",
            {"item_id": item_id, "message": exc.message},
            status=409,
        )
    kind = item.blob.kind
    inline = request.GET.get("inline") == "1" and kind in INLINE_KINDS and not item.is_quarantined
    response = HttpResponse(data, content_type=CONTENT_TYPES.get(kind, CONTENT_TYPES[Kind.UNKNOWN]))
    response["Content-Disposition"] = _disposition(
        "inline" if inline else "attachment", item.display_name, item.pk
    )
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    return response
