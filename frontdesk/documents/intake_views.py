"""The ways in and out on the web: the fax provider's signed webhooks and the correspondence log.

The two webhooks are ``@public`` and CSRF-exempt: the provider has no session and no CSRF token.
What protects them instead is the HMAC signature over timestamp and raw body (``documents/fax.py``):
a missing, wrong or stale signature is 403 and nothing is read or written. They answer JSON.

The correspondence log is staff-only: listing needs document.view, routing and marking handled need
document.file. Thin: the services in ``documents/intake`` do the work.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import public, requires
from frontdesk.accounts.policy import A
from frontdesk.core import throttle
from frontdesk.core.errors import DomainError, NotFound, PermissionDenied
from frontdesk.core.queryset import get_restricted
from frontdesk.disclosures.choices import Purpose
from frontdesk.documents.choices import Channel, Direction
from frontdesk.documents.fax import SIGNATURE_HEADER, TIMESTAMP_HEADER, fax_signature_valid
from frontdesk.documents.intake import correspondence, faxes, secure_mail
from frontdesk.documents.models import Document

# Why a document goes out by secure e-mail (recorded in the accounting of disclosures).
SEND_PURPOSES = [
    (purpose.value, purpose.label)
    for purpose in (
        Purpose.TREATMENT,
        Purpose.PATIENT_REQUEST,
        Purpose.AUTHORIZATION,
        Purpose.PAYMENT,
        Purpose.LEGAL,
        Purpose.OTHER,
    )
]

# A fax file may be as large as the inbox takes, plus room for the form's other fields.
FORM_OVERHEAD = 64 * 1024
MSG_BAD_SIGNATURE = "The request signature is missing, wrong or too old."


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _signed_body(request: HttpRequest, limit: int) -> bytes | None:
    """The raw body when it is within ``limit`` and correctly signed; None otherwise."""
    length = _content_length(request)
    if length <= 0 or length > limit:
        return None
    # Read the stream ourselves: request.body refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE.
    raw = request.read(length)
    valid = fax_signature_valid(
        body=raw,
        timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
        signature=request.headers.get(SIGNATURE_HEADER, ""),
    )
    return raw if valid else None


@public
@csrf_exempt
@require_POST
def fax_inbound(request: HttpRequest) -> JsonResponse:
    """An inbound fax: multipart ``file`` plus ``from``, ``to``, ``pages``, ``id``; signed."""
    limit = int(settings.FRONTDESK_DOCUMENT_MAX_BYTES) + FORM_OVERHEAD
    if _content_length(request) > limit:
        return _error("The fax is larger than the inbox accepts.", 413)
    raw = _signed_body(request, limit)
    if raw is None:
        return _error(MSG_BAD_SIGNATURE, 403)
    try:
        fields, files = MultiPartParser(
            request.META, io.BytesIO(raw), request.upload_handlers, request.encoding
        ).parse()
    except MultiPartParserError:
        return _error("Send multipart/form-data with the fax as 'file'.", 400)
    upload = files.get("file")
    if upload is None:
        return _error("Send multipart/form-data with the fax as 'file'.", 400)
    try:
        pages = int(fields.get("pages") or 0)
    except ValueError:
        pages = 0
    try:
        row, created = faxes.fax_receive(
            data=upload.read(),
            name=upload.name or "fax.pdf",
            from_number=str(fields.get("from", ""))[:40],
            to_number=str(fields.get("to", ""))[:40],
            pages=max(pages, 0),
            provider_id=str(fields.get("id", "")),
        )
    except DomainError as exc:
        return _error(exc.message, 422 if exc.http_status == 400 else exc.http_status)
    return JsonResponse(
        {
            "status": "received" if created else "duplicate",
            "correspondence": row.pk,
            "item": row.inbox_item_id,
        }
    )


@public
@csrf_exempt
@require_POST
def fax_status(request: HttpRequest) -> JsonResponse:
    """A delivery report for an outgoing fax: JSON ``{"id", "status", "error"}``; signed."""
    raw = _signed_body(request, FORM_OVERHEAD)
    if raw is None:
        return _error(MSG_BAD_SIGNATURE, 403)
    try:
        payload: Any = json.loads(raw)
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(key, ""), str) for key in ("id", "status", "error")
    ):
        return _error('Send JSON {"id": "...", "status": "sent|failed", "error": "..."}.', 400)
    try:
        row = faxes.fax_status_update(
            provider_id=payload.get("id", ""),
            status=payload.get("status", ""),
            error=payload.get("error", ""),
        )
    except NotFound:
        return _error("No outgoing fax has this id.", 404)
    except DomainError as exc:
        return _error(exc.message, 422 if exc.http_status == 400 else exc.http_status)
    return JsonResponse({"status": row.status, "correspondence": row.pk})


# --- the correspondence log ---------------------------------------------------------------------


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@requires(A.DOCUMENT_VIEW)
@require_GET
def correspondence_log(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    direction = str(request.GET.get("direction", ""))
    channel = str(request.GET.get("channel", ""))
    filters: dict[str, Any] = {
        "direction": direction if direction in Direction.values else "",
        "channel": channel if channel in Channel.values else "",
        "date_from": _date(request.GET.get("date_from")),
        "date_to": _date(request.GET.get("date_to")),
        "open_only": request.GET.get("open") == "1",
    }
    rows = correspondence.correspondence_list(actor=user, **filters)
    can_work = user.can(A.DOCUMENT_FILE)
    targets: dict[int, list[Any]] = {}
    if can_work:
        for row in rows:
            if row.location_id not in targets:
                targets[row.location_id] = correspondence.correspondence_route_targets(row=row)
    return render(
        request,
        "documents/correspondence.html",
        {
            "rows": [(row, targets.get(row.location_id, [])) for row in rows],
            "filters": filters,
            "directions": Direction.choices,
            "channels": Channel.choices,
            "can_work": can_work,
            "can_send": user.can(A.DOCUMENT_SEND),
            "limit": correspondence.LIST_LIMIT,
        },
    )


def _back(request: HttpRequest) -> HttpResponse:
    query = str(request.POST.get("next_query", ""))
    url = reverse("documents:correspondence")
    return redirect(f"{url}?{query}" if query and "//" not in query else url)


@requires(A.DOCUMENT_FILE)
@require_POST
def correspondence_route(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        row = correspondence.correspondence_route(
            actor=request.user, correspondence_id=pk, user_id=request.POST.get("user")
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        assert row.routed_to is not None
        messages.success(request, f"Routed #{row.pk} to {row.routed_to.display_name}.")
    return _back(request)


@requires(A.DOCUMENT_FILE)
@require_POST
def correspondence_handled(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        row = correspondence.correspondence_mark_handled(actor=request.user, correspondence_id=pk)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"#{row.pk} marked handled.")
    return _back(request)


# --- sending a chart document by fax ------------------------------------------------------------


@requires(A.DOCUMENT_SEND)
@require_http_methods(["GET", "POST"])
def document_fax(request: HttpRequest, document_id: int) -> HttpResponse:
    """The "send by fax" form of one chart document: number and cover note; POST sends it.

    The page names the document by number, type, date and pages only (no patient on it).
    """
    user: Any = request.user
    try:
        document = get_restricted(
            Document.objects.prefetch_related("versions"), user, A.DOCUMENT_SEND, pk=document_id
        )
    except NotFound:
        raise Http404 from None
    version = max(document.versions.all(), key=lambda v: v.number, default=None)
    context: dict[str, Any] = {
        "document": document,
        "pages": version.pages if version is not None else 0,
        "to_number": "",
        "cover_note": "",
        "error": "",
        "sent": None,
    }
    status = 200
    if request.method == "POST":
        context["to_number"] = str(request.POST.get("to_number", ""))[:40]
        context["cover_note"] = str(request.POST.get("cover_note", ""))[: faxes.MAX_NOTE + 1]
        try:
            context["sent"] = faxes.document_send_fax(
                actor=user,
                document_id=document.pk,
                to_number=context["to_number"],
                cover_note=context["cover_note"],
            )
        except (NotFound, PermissionDenied):
            raise Http404 from None
        except DomainError as exc:
            context["error"] = exc.message
            status = 422
    return render(request, "documents/correspondence_fax.html", context, status=status)


# --- sending a chart document by secure e-mail ----------------------------------------------------


@requires(A.DOCUMENT_SEND)
@require_http_methods(["GET", "POST"])
def document_secure_email(request: HttpRequest, document_id: int) -> HttpResponse:
    """The "send by secure e-mail" form: address, purpose, note; POST sends the notice.

    The confirmation shows the access code once (it is stored only hashed): the sender tells it to
    the recipient by phone. Like the fax page, no patient is named on it.
    """
    user: Any = request.user
    try:
        document = get_restricted(
            Document.objects.prefetch_related("versions"), user, A.DOCUMENT_SEND, pk=document_id
        )
    except NotFound:
        raise Http404 from None
    version = max(document.versions.all(), key=lambda v: v.number, default=None)
    context: dict[str, Any] = {
        "document": document,
        "pages": version.pages if version is not None else 0,
        "to_email": "",
        "message": "",
        "purpose": Purpose.TREATMENT,
        "purposes": SEND_PURPOSES,
        "days": settings.FRONTDESK_SECURE_LINK_DAYS,
        "error": "",
        "sent": None,
    }
    status = 200
    if request.method == "POST":
        context["to_email"] = str(request.POST.get("to_email", ""))[:254]
        context["message"] = str(request.POST.get("message", ""))[: secure_mail.MAX_MESSAGE + 1]
        context["purpose"] = str(request.POST.get("purpose", ""))[:30]
        try:
            context["sent"] = secure_mail.document_send_secure_email(
                actor=user,
                document_id=document.pk,
                to_email=context["to_email"],
                message=context["message"],
                purpose=context["purpose"],
            )
        except (NotFound, PermissionDenied):
            raise Http404 from None
        except DomainError as exc:
            context["error"] = exc.message
            status = 422
    return render(request, "documents/correspondence_secure_email.html", context, status=status)


@requires(A.DOCUMENT_SEND)
@require_POST
def secure_link_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        link = secure_mail.secure_link_revoke(actor=request.user, link_id=pk)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The secure link of #{link.correspondence_id} is revoked.")
    return _back(request)


# --- the recipient's pickup page (public) ----------------------------------------------------------

# Unknown or unusable tokens and wrong codes per client address per window before answering 429
# (the same scheme as the waitlist's public offer page); a link itself locks after 5 wrong codes.
PICKUP_MISS_LIMIT = 20
PICKUP_MISS_WINDOW = 15 * 60


def _pickup_key(request: HttpRequest) -> str:
    return f"secure-pickup-miss:{request.META.get('REMOTE_ADDR', '')}"


def _pickup_throttled(request: HttpRequest) -> bool:
    return throttle.misses(_pickup_key(request)) >= PICKUP_MISS_LIMIT


def _pickup_miss(request: HttpRequest) -> None:
    throttle.miss_record(_pickup_key(request), PICKUP_MISS_WINDOW)


def _pickup_page(request: HttpRequest, *, valid: bool, error: str = "", status: int = 200) -> Any:
    response = render(
        request,
        "documents/secure_pickup.html",
        {"valid": valid, "error": error},
        status=status,
    )
    # The token is the recipient's key: keep it out of caches, other sites' logs and search engines.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@public
@require_http_methods(["GET", "POST"])
def secure_pickup(request: HttpRequest, token: str) -> HttpResponse:
    """Where a secure e-mail's link leads: the access code form; the right code downloads the PDF.

    An unknown, expired, used-up, locked or revoked link gets the same page ("no longer valid,
    contact the practice"), so a guessed token learns nothing; a client that keeps missing gets 429.
    """
    if _pickup_throttled(request):
        return HttpResponse("Too many attempts. Try again later.", status=429)
    if request.method == "GET":
        if secure_mail.secure_link_for_token(token=token) is None:
            _pickup_miss(request)
            return _pickup_page(request, valid=False, status=404)
        return _pickup_page(request, valid=True)
    try:
        download = secure_mail.secure_link_download(
            token=token, code=str(request.POST.get("code", ""))
        )
    except secure_mail.LinkUnavailable:
        _pickup_miss(request)
        return _pickup_page(request, valid=False, status=404)
    except secure_mail.WrongCode as exc:
        _pickup_miss(request)
        return _pickup_page(request, valid=True, error=exc.message, status=400)
    response = HttpResponse(download.data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response
