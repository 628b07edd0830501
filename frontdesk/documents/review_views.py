"""The review queue, the indexing screen and the chart's documents (ids only in URLs).

Thin: the review selectors read (and audit what shows patients or bytes), the review services write.
Every form works without JavaScript (plain posts answered by a redirect); ``documents/review.js``
adds the keyboard (Enter files, 1-9 pick a suggestion, j/k pages, r/d/s/m page and part actions) and
htmx swaps for rotating and deleting a page without losing what was typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.core.errors import DomainError, NotFound, PermissionDenied
from frontdesk.documents import review_selectors as selectors
from frontdesk.documents import review_services as services
from frontdesk.documents.choices import CONTENT_TYPES, DocType, Kind
from frontdesk.documents.errors import BlobCorrupt
from frontdesk.documents.views import INLINE_KINDS, _disposition

# The keyboard, as the page lists it (review.js binds the same keys).
SHORTCUTS: list[tuple[str, str]] = [
    ("Enter", "File to the chosen patient and open the next part"),
    ("1 – 9", "Choose suggestion 1 – 9"),
    ("/", "Search for a patient"),
    ("t", "Document type"),
    ("i", "Title"),
    ("w", "Document date"),
    ("u", "Urgent on / off"),
    ("a", "Assign for sign-off"),
    ("j / k", "Next / previous page"),
    ("r / R", "Rotate the page right / left"),
    ("d", "Delete or restore the page"),
    ("s", "Split after the page shown"),
    ("m", "Merge with the next part"),
    ("x", "Delete this part"),
    ("n", "Skip to the next part"),
    ("Esc", "Leave a field (back to the keys)"),
    ("?", "Show or hide these keys"),
]

QUEUE_FILTERS = ("type", "queue", "assigned")


def _user(request: HttpRequest) -> Any:
    return request.user


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _filters(source: Any) -> dict[str, str]:
    """The queue's filters from a query string or a form (kept across the screens)."""
    doc_type = str(source.get("type", ""))
    queue = str(source.get("queue", ""))
    assigned = str(source.get("assigned", ""))
    return {
        "doc_type": doc_type if doc_type in DocType.values else "",
        "work_queue": queue if queue in services.WORK_QUEUE_LABELS else "",
        "assigned": assigned if assigned in ("me", "none") or assigned.isdigit() else "",
    }


def _filter_query(filters: dict[str, str]) -> str:
    pairs = {
        "type": filters["doc_type"],
        "queue": filters["work_queue"],
        "assigned": filters["assigned"],
    }
    query = urlencode({k: v for k, v in pairs.items() if v})
    return f"?{query}" if query else ""


def _segment_url(segment_id: int, filters: dict[str, str], page: int | None = None) -> str:
    url = reverse("documents:review_segment", args=[segment_id]) + _filter_query(filters)
    if page is not None:
        url += ("&" if "?" in url else "?") + f"page={page}"
    return url


def _next_url(request: HttpRequest, after: int | None, filters: dict[str, str]) -> str:
    following = selectors.review_next(actor=_user(request), after=after, **filters)
    if following is None:
        return reverse("documents:review_queue") + _filter_query(filters)
    return _segment_url(following.pk, filters)


def _error(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


# --- The queue ----------------------------------------------------------------------------------


@requires(A.DOCUMENT_VIEW)
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    filters = _filters(request.GET)
    segments = list(
        selectors.review_queue(
            actor=user,
            doc_type=filters["doc_type"],
            work_queue=filters["work_queue"],
            assigned=filters["assigned"],
        )[:500]
    )
    return render(
        request,
        "documents/review_queue.html",
        {
            "segments": segments,
            "filters": filters,
            "filter_query": _filter_query(filters),
            "doc_types": DocType.choices,
            "work_queues": list(services.WORK_QUEUE_LABELS.items()),
            "can_file": user.can(A.DOCUMENT_FILE),
            "start_url": _segment_url(segments[0].pk, filters) if segments else "",
            "to_sign": list(selectors.documents_to_sign(actor=user)[:50])
            if user.can(A.DOCUMENT_SIGN)
            else [],
        },
    )


# --- The indexing screen ------------------------------------------------------------------------


def _form_values(review: selectors.SegmentReview) -> dict[str, Any]:
    segment = review.segment
    chosen = segment.patient_id or (review.suggestions[0].patient.pk if review.suggestions else "")
    return {
        "patient": str(chosen or ""),
        "doc_type": segment.doc_type,
        "title": segment.title,
        "document_date": segment.document_date.isoformat() if segment.document_date else "",
        "urgent": segment.urgent or review.item.urgent,
        "assigned_to": str(segment.assigned_to_id or ""),
        "work_queue": segment.work_queue,
    }


def _segment_page(
    request: HttpRequest,
    segment_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    try:
        review = selectors.segment_review_get(actor=user, segment_id=segment_id)
    except NotFound:
        raise Http404 from None
    filters = _filters(request.GET if request.method == "GET" else request.POST)
    query = str(request.GET.get("q", "")).strip()[:100]
    hits: list[Any] = []
    if query and user.can(A.PATIENT_SEARCH):
        from frontdesk.patients.selectors import patient_search

        hits = patient_search(user=user, query=query, limit=10)
    shown = {s.patient.pk for s in review.suggestions}
    page_count = len(review.pages)
    current = min(max((_int(request.GET.get("page")) or 1), 1), max(page_count, 1))
    form = values if values is not None else _form_values(review)
    next_part = review.next_segment
    return render(
        request,
        "documents/review_segment.html",
        {
            "review": review,
            "segment": review.segment,
            "item": review.item,
            "form": form,
            "errors": errors or {},
            "error": error,
            "filters": filters,
            "filter_query": _filter_query(filters),
            "query": query,
            "hits": [hit for hit in hits if hit.patient.pk not in shown],
            "searched": bool(query),
            "current_page": current,
            "page_count": page_count,
            "page_url_base": _segment_url(review.segment.pk, filters)
            + ("&" if _filter_query(filters) else "?"),
            "doc_types": DocType.choices,
            "work_queues": list(services.WORK_QUEUE_LABELS.items()),
            "assignees": selectors.sign_off_people(location_id=review.item.location_id),
            "shortcuts": SHORTCUTS,
            "can_file": user.can(A.DOCUMENT_FILE),
            "in_review": review.segment.status == "review" and review.item.status == "review",
            "skip_url": _next_url(request, review.segment.pk, filters),
            "merge_with": next_part if next_part and next_part.status == "review" else None,
        },
        status=status,
    )


@requires(A.DOCUMENT_VIEW)
@require_GET
def review_segment(request: HttpRequest, segment_id: int) -> HttpResponse:
    return _segment_page(request, segment_id)


@requires(A.DOCUMENT_VIEW)
@require_GET
def review_patient_search(request: HttpRequest, segment_id: int) -> HttpResponse:
    """The search box's results as radio choices (htmx swaps them into the form); one query audit."""
    user = _user(request)
    query = str(request.GET.get("q", "")).strip()[:100]
    hits: list[Any] = []
    if query and user.can(A.PATIENT_SEARCH):
        from frontdesk.patients.selectors import patient_search

        hits = patient_search(user=user, query=query, limit=10)
    return render(
        request,
        "documents/review_hits.html",
        {"hits": hits, "searched": bool(query), "form": {"patient": ""}},
    )


def _parse_date(raw: str) -> dt.date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


@requires(A.DOCUMENT_FILE)
@require_POST
def review_file(request: HttpRequest, segment_id: int) -> HttpResponse:
    """Enter: save and file the part, then the next part of the queue (same filters)."""
    post = request.POST
    values: dict[str, Any] = {
        "patient": str(post.get("patient", "")).strip(),
        "doc_type": str(post.get("doc_type", "")),
        "title": str(post.get("title", "")),
        "document_date": str(post.get("document_date", "")),
        "urgent": post.get("urgent") in ("1", "on", "true"),
        "assigned_to": str(post.get("assigned_to", "")),
        "work_queue": str(post.get("work_queue", "")),
    }
    filters = _filters(post)
    document_date = _parse_date(values["document_date"])
    if values["document_date"] and document_date is None:
        return _segment_page(
            request,
            segment_id,
            values=values,
            errors={"date": ["Enter the date as YYYY-MM-DD."]},
            status=422,
        )
    action = post.get("action", "file")
    try:
        if action == "save":
            services.segment_update(
                actor=_user(request),
                segment_id=segment_id,
                doc_type=values["doc_type"],
                title=values["title"],
                document_date=document_date,
                patient_id=_int(values["patient"]),
                urgent=values["urgent"],
                assigned_to_id=_int(values["assigned_to"]),
                work_queue=values["work_queue"],
            )
            messages.success(request, "Saved.")
            return redirect(_segment_url(segment_id, filters))
        document = services.segment_accept(
            actor=_user(request),
            segment_id=segment_id,
            patient_id=_int(values["patient"]),
            doc_type=values["doc_type"],
            title=values["title"],
            document_date=document_date,
            urgent=values["urgent"],
            assigned_to_id=_int(values["assigned_to"]),
            work_queue=values["work_queue"] or None,
        )
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        raise Forbidden from None
    except DomainError as exc:
        return _segment_page(
            request,
            segment_id,
            values=values,
            errors=exc.fields,
            error=exc.message,
            status=409 if exc.code == "already_filed" else 422,
        )
    messages.success(request, f"Filed as chart document #{document.pk}.")
    return redirect(_next_url(request, segment_id, filters))


def _act(request: HttpRequest, segment_id: int, run: Any, *, success: str = "") -> HttpResponse:
    """Run a part action; back to the part (or the next one) with what happened."""
    filters = _filters(request.POST)
    page = _int(request.POST.get("page"))
    try:
        target = run()
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        raise Forbidden from None
    except DomainError as exc:
        _error(request, exc)
        return redirect(_segment_url(segment_id, filters, page))
    if success:
        messages.success(request, success)
    if target is None:
        return redirect(_next_url(request, segment_id, filters))
    return redirect(_segment_url(target, filters, page if target == segment_id else None))


@requires(A.DOCUMENT_FILE)
@require_POST
def review_split(request: HttpRequest, segment_id: int) -> HttpResponse:
    at = _int(request.POST.get("at"))

    def run() -> int:
        new = services.segment_split(
            actor=_user(request), segment_id=segment_id, at_page_position=at or 0
        )
        messages.success(
            request, f"Split: the pages after page {at} are now the next part (#{new.pk})."
        )
        return segment_id

    return _act(request, segment_id, run)


@requires(A.DOCUMENT_FILE)
@require_POST
def review_merge(request: HttpRequest, segment_id: int) -> HttpResponse:
    other = _int(request.POST.get("other"))

    def run() -> int:
        services.segment_merge(
            actor=_user(request), segment_id=segment_id, other_segment_id=other or 0
        )
        return segment_id

    return _act(request, segment_id, run, success="Merged with the next part.")


@requires(A.DOCUMENT_FILE)
@require_POST
def review_segment_delete(request: HttpRequest, segment_id: int) -> HttpResponse:
    def run() -> None:
        services.segment_delete(actor=_user(request), segment_id=segment_id)

    return _act(request, segment_id, run, success="Part deleted.")


# --- Pages --------------------------------------------------------------------------------------


def _picture(data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Length"] = str(len(data))
    return response


def _unreadable(request: HttpRequest, item_id: int, exc: BlobCorrupt) -> HttpResponse:
    return render(
        request,
        "documents/unreadable.html",
        {"item_id": item_id, "message": exc.message},
        status=409,
    )


@requires(A.DOCUMENT_VIEW)
@require_GET
def page_png(request: HttpRequest, item_id: int, index: int) -> HttpResponse:
    try:
        data = selectors.page_png(actor=_user(request), item_id=item_id, index=index)
    except NotFound:
        raise Http404 from None
    except BlobCorrupt as exc:
        return _unreadable(request, item_id, exc)
    return _picture(data)


def _page_action(request: HttpRequest, item_id: int, index: int, run: Any) -> HttpResponse:
    """A page action: htmx gets the page's figure back; a plain post goes back to the part."""
    segment_id = _int(request.POST.get("segment"))
    filters = _filters(request.POST)
    try:
        page = run()
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        raise Forbidden from None
    except DomainError as exc:
        if request.headers.get("HX-Request"):
            answer = render(
                request, "documents/review_error.html", {"message": exc.message}, status=422
            )
            answer["HX-Retarget"] = "#review-flash"  # the page stays; the message shows above
            answer["HX-Reswap"] = "innerHTML"
            return answer
        _error(request, exc)
        page = None
    if request.headers.get("HX-Request") and page is not None:
        return render(
            request,
            "documents/review_page.html",
            {
                "page": page,
                "item": page.item,
                "number": _int(request.POST.get("page")) or 1,
                "segment_id": segment_id,
                "filters": filters,
                "can_file": True,
                "in_review": True,
                "current_page": _int(request.POST.get("page")) or 1,
            },
        )
    if segment_id:
        return redirect(_segment_url(segment_id, filters, _int(request.POST.get("page"))))
    return redirect("documents:item", item_id=item_id)


@requires(A.DOCUMENT_FILE)
@require_POST
def page_rotate(request: HttpRequest, item_id: int, index: int) -> HttpResponse:
    degrees = _int(request.POST.get("degrees")) or 90
    return _page_action(
        request,
        item_id,
        index,
        lambda: services.page_rotate(
            actor=_user(request), item_id=item_id, index=index, degrees=degrees
        ),
    )


@requires(A.DOCUMENT_FILE)
@require_POST
def page_delete(request: HttpRequest, item_id: int, index: int) -> HttpResponse:
    restore = request.POST.get("restore") == "1"
    service = services.page_restore if restore else services.page_delete
    return _page_action(
        request,
        item_id,
        index,
        lambda: service(actor=_user(request), item_id=item_id, index=index),
    )


@requires(A.DOCUMENT_FILE)
@require_POST
def item_delete(request: HttpRequest, item_id: int) -> HttpResponse:
    filters = _filters(request.POST)
    segment_id = _int(request.POST.get("segment"))
    try:
        services.item_delete(
            actor=_user(request), item_id=item_id, reason=str(request.POST.get("reason", ""))
        )
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        raise Forbidden from None
    except DomainError as exc:
        _error(request, exc)
        if segment_id:
            return redirect(_segment_url(segment_id, filters))
        return redirect("documents:item", item_id=item_id)
    messages.success(request, f"Inbox item #{item_id} deleted.")
    return redirect(_next_url(request, segment_id, filters))


# --- The chart's documents ----------------------------------------------------------------------


@requires(A.DOCUMENT_VIEW)
@require_GET
def patient_documents(request: HttpRequest, patient_id: int) -> HttpResponse:
    from frontdesk.patients.errors import PatientMerged

    doc_type = str(request.GET.get("type", ""))
    if doc_type not in DocType.values:
        doc_type = ""
    query = str(request.GET.get("q", "")).strip()[:200]
    try:
        chart = selectors.patient_documents(
            actor=_user(request), patient_id=patient_id, doc_type=doc_type, query=query
        )
    except NotFound:
        raise Http404 from None
    except PatientMerged as exc:
        return redirect("documents:patient_documents", patient_id=exc.survivor_id)
    return render(
        request,
        "documents/chart_documents.html",
        {"chart": chart, "patient": chart.patient, "doc_type": doc_type, "query": query},
    )


def _document_page(
    request: HttpRequest, document_id: int, *, error: str = "", status: int = 200
) -> HttpResponse:
    user = _user(request)
    try:
        document = selectors.document_get(actor=user, document_id=document_id)
    except NotFound:
        raise Http404 from None
    versions = list(document.versions.all())
    latest = versions[-1] if versions else None
    return render(
        request,
        "documents/chart_document.html",
        {
            "document": document,
            "patient": document.patient,
            "versions": versions,
            "latest": latest,
            "page_numbers": range(latest.pages) if latest else range(0),
            "viewers": selectors.document_viewers(actor=user, document_id=document.pk),
            "can_sign": (
                user.can(A.DOCUMENT_SIGN)
                and document.signed_off_at is None
                and document.assigned_to_id in (None, user.pk)
            ),
            "can_file": user.can(A.DOCUMENT_FILE),
            "can_send": user.can(A.DOCUMENT_SEND),
            "error": error,
            "work": _work_panel(user, document),
        },
        status=status,
    )


def _work_panel(user: Any, document: Any) -> Any:
    from frontdesk.documents.work_selectors import document_work

    return document_work(actor=user, document=document)


@requires(A.DOCUMENT_VIEW)
@require_GET
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    return _document_page(request, document_id)


@requires(A.DOCUMENT_VIEW)
@require_GET
def document_version_download(request: HttpRequest, document_id: int, number: int) -> HttpResponse:
    """A version's bytes: an attachment (audited as an export) or, with ?inline=1 for a PDF or an
    image, shown in the browser (audited as a read)."""
    wants_inline = request.GET.get("inline") == "1"
    try:
        version, data = selectors.document_version_read(
            actor=_user(request),
            document_id=document_id,
            number=number,
            event="open" if wants_inline else "download",
        )
    except NotFound:
        raise Http404 from None
    except BlobCorrupt as exc:
        return render(
            request,
            "documents/document_unreadable.html",
            {"message": exc.message},
            status=409,
        )
    kind = version.blob.kind
    inline = wants_inline and kind in INLINE_KINDS
    response = HttpResponse(data, content_type=CONTENT_TYPES.get(kind, CONTENT_TYPES[Kind.UNKNOWN]))
    extension = {"pdf": "pdf", "tiff": "tif", "jpeg": "jpg", "png": "png"}.get(kind, "bin")
    response["Content-Disposition"] = _disposition(
        "inline" if inline else "attachment",
        f"document-{document_id}-v{version.number}.{extension}",
        document_id,
    )
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@requires(A.DOCUMENT_VIEW)
@require_GET
def document_page_png(
    request: HttpRequest, document_id: int, number: int, index: int
) -> HttpResponse:
    try:
        data = selectors.version_page_png(
            actor=_user(request), document_id=document_id, number=number, index=index
        )
    except NotFound:
        raise Http404 from None
    except BlobCorrupt as exc:
        return render(
            request,
            "documents/document_unreadable.html",
            {"message": exc.message},
            status=409,
        )
    return _picture(data)


@requires(A.DOCUMENT_SIGN)
@require_POST
def document_sign(request: HttpRequest, document_id: int) -> HttpResponse:
    try:
        services.document_sign_off(actor=_user(request), document_id=document_id)
    except NotFound:
        raise Http404 from None
    except PermissionDenied as exc:
        messages.error(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Signed off.")
    return redirect("documents:document", document_id=document_id)


@requires(A.DOCUMENT_FILE)
@require_POST
def document_new_version(request: HttpRequest, document_id: int) -> HttpResponse:
    upload = request.FILES.get("file")
    try:
        version = services.document_new_version(
            actor=_user(request),
            document_id=document_id,
            data=upload.read() if upload is not None else b"",
            reason=str(request.POST.get("reason", "")),
            name=(upload.name or "") if upload is not None else "",
        )
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        raise Forbidden from None
    except DomainError as exc:
        return _document_page(request, document_id, error=exc.message, status=422)
    messages.success(request, f"Version {version.number} added; the earlier versions stay.")
    return redirect("documents:document", document_id=document_id)


@requires(A.DOCUMENT_FILE)
@require_POST
def document_reassign(request: HttpRequest, document_id: int) -> HttpResponse:
    """Move a misfiled document to the patient with the MRN typed (one the person may see)."""
    from frontdesk.patients.models import Patient

    user = _user(request)
    mrn = str(request.POST.get("mrn", "")).strip()
    patient = (
        Patient.objects.restrict(user, A.PATIENT_VIEW).filter(mrn__iexact=mrn).first()
        if mrn
        else None
    )
    if patient is None:
        return _document_page(
            request, document_id, error="No patient you can see has that MRN.", status=422
        )
    try:
        services.document_reassign(actor=user, document_id=document_id, patient_id=patient.pk)
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        raise Forbidden from None
    except DomainError as exc:
        return _document_page(request, document_id, error=exc.message, status=422)
    messages.success(request, f"Moved to the chart of MRN {patient.mrn}.")
    return redirect("documents:document", document_id=document_id)


# --- Document work: the referral and records-release worklists ---------------------------------


def _work_url(queue: str, location_id: int | None = None, done: bool = False) -> str:
    query = urlencode(
        {
            key: value
            for key, value in (
                ("queue", queue),
                ("location", location_id or ""),
                ("state", "done" if done else ""),
            )
            if value
        }
    )
    return reverse("documents:document_work") + (f"?{query}" if query else "")


def _work_back(request: HttpRequest, document_id: int) -> HttpResponse:
    """Back to the worklist the action came from, else to the document (never elsewhere)."""
    target = str(request.POST.get("next", ""))
    if target.startswith(reverse("documents:document_work")) and "//" not in target:
        return redirect(target)
    return redirect("documents:document", document_id=document_id)


@requires(A.DOCUMENT_VIEW)
@require_GET
def document_work(request: HttpRequest) -> HttpResponse:
    """The worklist of one work queue: open documents oldest first (or those done, latest first)."""
    from frontdesk.documents import work_selectors
    from frontdesk.documents.choices import WorkQueue

    user = _user(request)
    queue = str(request.GET.get("queue", ""))
    if queue not in WorkQueue.values:
        queue = WorkQueue.REFERRALS
    locations = work_selectors.work_locations(actor=user)
    location_id = _int(request.GET.get("location"))
    if location_id not in {location.pk for location in locations}:
        location_id = None
    done = request.GET.get("state") == "done"
    rows = work_selectors.document_worklist(
        actor=user, queue=queue, location_id=location_id, done=done
    )
    counts = work_selectors.work_counts(actor=user, location_id=location_id)
    from frontdesk.scheduling.grid import patient_short

    return render(
        request,
        "documents/work_list.html",
        {
            "rows": [
                {"r": row, "patient_label": f"{patient_short(row.document.patient)}"}
                for row in rows
            ],
            "queue": queue,
            "queue_label": WorkQueue(queue).label,
            "queues": [
                {
                    "value": value,
                    "label": label,
                    "count": counts.get(value, 0),
                    "url": _work_url(value, location_id),
                }
                for value, label in WorkQueue.choices
            ],
            "locations": locations,
            "location_id": location_id,
            "done": done,
            "open_url": _work_url(queue, location_id),
            "done_url": _work_url(queue, location_id, done=True),
            "back": request.get_full_path(),
            "can_file": user.can(A.DOCUMENT_FILE),
            "can_record_referral": user.can(A.DOCUMENT_FILE) and user.can(A.AUTHORIZATION_EDIT),
        },
    )


def _work_action(request: HttpRequest, document_id: int, run: Any, success: str) -> HttpResponse:
    try:
        run()
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        raise Forbidden from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return _work_back(request, document_id)


@requires(A.DOCUMENT_FILE)
@require_POST
def document_work_done(request: HttpRequest, document_id: int) -> HttpResponse:
    return _work_action(
        request,
        document_id,
        lambda: services.document_work_done(
            actor=_user(request), document_id=document_id, note=str(request.POST.get("note", ""))
        ),
        f"Chart document #{document_id}: work done.",
    )


@requires(A.DOCUMENT_FILE)
@require_POST
def document_work_reopen(request: HttpRequest, document_id: int) -> HttpResponse:
    return _work_action(
        request,
        document_id,
        lambda: services.document_work_reopen(actor=_user(request), document_id=document_id),
        f"Chart document #{document_id} is back on its worklist.",
    )


@requires(A.DOCUMENT_FILE)
@require_POST
def document_records_received(
    request: HttpRequest, document_id: int, request_id: int
) -> HttpResponse:
    return _work_action(
        request,
        document_id,
        lambda: services.document_records_received(
            actor=_user(request), document_id=document_id, records_request_id=request_id
        ),
        "Records request marked received.",
    )


@requires(A.AUTHORIZATION_EDIT)
@require_http_methods(["GET", "POST"])
def document_work_referral(request: HttpRequest, document_id: int) -> HttpResponse:
    """ "Record referral": the referral a document brings goes on file in chart prep (an
    authorization of kind referral) and the document leaves the referrals worklist."""
    from frontdesk.documents import work_selectors
    from frontdesk.documents.choices import WorkQueue
    from frontdesk.documents.work_forms import ReferralForm

    user = _user(request)
    try:
        document = work_selectors.referral_form_document(actor=user, document_id=document_id)
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        raise Forbidden from None
    back = str(request.POST.get("next") or request.GET.get("next") or "")
    if not back.startswith(reverse("documents:document_work")) or "//" in back:
        back = ""
    form = ReferralForm(
        request.POST if request.method == "POST" else None,
        initial=work_selectors.referral_prefill(document=document),
    )
    error, status = "", 200
    if document.work_queue != WorkQueue.REFERRALS or document.work_done_at is not None:
        error, status = (
            "This document is not waiting on the referrals worklist.",
            409,
        )
    elif request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                authorization = services.document_referral_record(
                    actor=user, document_id=document.pk, data=form.service_data()
                )
            except NotFound:
                raise Http404 from None
            except PermissionDenied:
                raise Forbidden from None
            except DomainError as exc:
                error = exc.message
                for name, problems in exc.fields.items():
                    for problem in problems:
                        form.add_error(name if name in form.fields else None, problem)
                if exc.code in ("work_done", "wrong_work_queue", "no_work_queue"):
                    status = 409
            else:
                messages.success(
                    request,
                    f"Referral on file (authorization #{authorization.pk}); "
                    f"chart document #{document.pk} is done.",
                )
                return redirect(back or reverse("documents:document", args=[document.pk]))
    return render(
        request,
        "documents/work_referral.html",
        {
            "document": document,
            "patient": document.patient,
            "form": form,
            "error": error,
            "back": back,
            "open": status != 409,
        },
        status=status,
    )
