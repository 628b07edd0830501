"""The privacy officer's audit report, its CSV export and the break-glass review list.

Viewing or exporting a report writes one audit row of its own (category "audit").
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.audit import selectors
from frontdesk.audit.choices import AuditAction
from frontdesk.audit.forms import AuditReportForm, GrantReviewForm
from frontdesk.audit.models import AuditEvent, EmergencyAccessGrant
from frontdesk.audit.services import audit_report_access_record, emergency_grant_review
from frontdesk.core.csvcell import csv_cell
from frontdesk.core.errors import DomainError, NotFound, ValidationFailed

REPORT_PAGE_SIZE = 50
GRANT_PAGE_SIZE = 20
EXPORT_CHUNK = 1000

# (sort key, column heading) in table order.
REPORT_COLUMNS: list[tuple[str, str]] = [
    ("sequence", "Seq."),
    ("time", "Time"),
    ("user", "User"),
    ("role", "Role"),
    ("patient", "Patient"),
    ("action", "Action"),
    ("category", "Category"),
    ("object", "Object"),
    ("outcome", "Outcome"),
    ("source_ip", "Source IP"),
    ("emergency", "Emergency"),
]

EXPORT_HEADER = [
    "sequence",
    "occurred_at_utc",
    "actor_id",
    "actor_name",
    "actor_role",
    "patient_id",
    "patient_mrn",
    "action",
    "category",
    "object_type",
    "object_id",
    "outcome",
    "source_ip",
    "request_id",
    "emergency_access",
    "emergency_grant_id",
    "detail",
    "row_hash",
]


# A spreadsheet treats a cell starting with one of these as a formula (CSV injection, OWASP).
def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _sort_headers(request: HttpRequest, sort: str) -> list[dict[str, str]]:
    base = _query_without(request, "sort", "page")
    current, descending = sort.removeprefix("-"), sort.startswith("-")
    headers = []
    for key, label in REPORT_COLUMNS:
        is_current = key == current
        # A heading sorts ascending first; on the column already sorted ascending it flips.
        next_sort = f"-{key}" if is_current and not descending else key
        aria = ("descending" if descending else "ascending") if is_current else "none"
        query = f"{base}&sort={next_sort}" if base else f"sort={next_sort}"
        headers.append({"key": key, "label": label, "url": f"?{query}", "aria_sort": aria})
    return headers


def _report_request(request: HttpRequest) -> tuple[AuditReportForm, str] | HttpResponse:
    """Parse the report's query string: the form and the sort, or a 400 answer."""
    sort = request.GET.get("sort") or selectors.DEFAULT_SORT
    if not selectors.sort_is_allowed(sort):
        return HttpResponseBadRequest("Unknown sort column.", content_type="text/plain")
    return AuditReportForm(request.GET), sort


@requires("audit.view")
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    parsed = _report_request(request)
    if isinstance(parsed, HttpResponse):
        return parsed
    form, sort = parsed
    user: Any = request.user
    page = None
    mrns: dict[int, str] = {}
    if form.is_valid():
        events = selectors.audit_event_list(user=user, sort=sort, **form.selector_arguments())
        page = Paginator(events, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
        mrns = selectors.patient_mrns(
            user=user, patient_ids=[event.patient_id for event in page.object_list]
        )
        audit_report_access_record(
            actor=user,
            action=AuditAction.READ,
            report="audit_log",
            filter_names=form.used_filter_names(),
            sort=sort,
            page=page.number,
        )
    return render(
        request,
        "audit/report.html",
        {
            "form": form,
            "page": page,
            "rows": [(event, mrns.get(event.patient_id or 0, "")) for event in page or []],
            "headers": _sort_headers(request, sort),
            "page_query": _query_without(request, "page"),
            "export_query": _query_without(request, "page"),
            "can_export": user.can("audit.export"),
            "practice_timezone": timezone.get_default_timezone_name(),
        },
        status=200 if form.is_valid() else 400,
    )


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def _export_lines(user: Any, events: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_HEADER)
    chunk: list[AuditEvent] = []

    def flush() -> Iterator[str]:
        mrns = selectors.patient_mrns(user=user, patient_ids=[e.patient_id for e in chunk])
        for event in chunk:
            row = [
                event.sequence,
                event.occurred_at.astimezone(UTC).isoformat(),
                event.actor_id,
                event.actor_name,
                event.actor_role,
                event.patient_id,
                mrns.get(event.patient_id or 0, ""),
                event.action,
                event.category,
                event.object_type,
                event.object_id,
                event.outcome,
                event.source_ip,
                event.request_id,
                event.emergency_access,
                event.emergency_grant_id,
                json.dumps(event.detail, sort_keys=True, ensure_ascii=False),
                event.row_hash,
            ]
            yield writer.writerow([csv_cell(value) for value in row])

    for event in events.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(event)
        if len(chunk) == EXPORT_CHUNK:
            yield from flush()
            chunk = []
    yield from flush()


@requires("audit.export")
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    parsed = _report_request(request)
    if isinstance(parsed, HttpResponse):
        return parsed
    form, sort = parsed
    if not form.is_valid():
        return HttpResponseBadRequest(
            "The report filters are not valid; correct them on the report page.",
            content_type="text/plain",
        )
    user: Any = request.user
    events = selectors.audit_event_list(user=user, sort=sort, **form.selector_arguments())
    audit_report_access_record(
        actor=user,
        action=AuditAction.EXPORT,
        report="audit_log",
        filter_names=form.used_filter_names(),
        sort=sort,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(
        _export_lines(user, events), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    # The @requires decorator types views as returning HttpResponse; a streaming one serves the same.
    return response  # type: ignore[return-value]


def _render_grants(
    request: HttpRequest,
    status: str,
    *,
    bound_form: GrantReviewForm | None = None,
    bound_grant_id: int | None = None,
    http_status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    grants = selectors.emergency_grant_list(user=user, status=status)
    page = Paginator(grants, GRANT_PAGE_SIZE).get_page(request.GET.get("page"))
    grant_list: list[EmergencyAccessGrant] = list(page.object_list)
    events = selectors.emergency_grant_events(user=user, grant_ids=[g.pk for g in grant_list])
    mrns = selectors.patient_mrns(
        user=user,
        patient_ids=[g.patient_id for g in grant_list]
        + [e.patient_id for rows in events.values() for e in rows],
    )
    now = timezone.now()
    entries = []
    for grant in grant_list:
        form = (
            bound_form
            if bound_form is not None and grant.pk == bound_grant_id
            else GrantReviewForm(auto_id=f"id_grant{grant.pk}_%s")
        )
        entries.append(
            {
                "grant": grant,
                "in_force": grant.is_in_force(now),
                "patient_mrn": mrns.get(grant.patient_id or 0, ""),
                "events": [
                    (event, mrns.get(event.patient_id or 0, "")) for event in events[grant.pk]
                ],
                "form": form,
            }
        )
    audit_report_access_record(
        actor=user,
        action=AuditAction.READ,
        report="emergency_access",
        filter_names=[] if status == "pending" else ["status"],
        page=page.number,
    )
    return render(
        request,
        "audit/emergency_access.html",
        {
            "entries": entries,
            "page": page,
            "status": status,
            "statuses": [(s, s.capitalize()) for s in selectors.GRANT_STATUSES],
        },
        status=http_status,
    )


@requires("breakglass.review")
@require_GET
def emergency_access(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or "pending"
    if status not in selectors.GRANT_STATUSES:
        return HttpResponseBadRequest("Unknown status.", content_type="text/plain")
    return _render_grants(request, status)


@requires("breakglass.review")
@require_POST
def emergency_review(request: HttpRequest, grant_id: int) -> HttpResponse:
    form = GrantReviewForm(request.POST, auto_id=f"id_grant{grant_id}_%s")
    if form.is_valid():
        try:
            emergency_grant_review(
                reviewer=request.user,  # type: ignore[arg-type]
                grant_id=grant_id,
                note=form.cleaned_data["note"],
            )
        except NotFound:
            raise Http404 from None
        except ValidationFailed as error:
            form.add_error("note", error.message)
        except DomainError as error:
            # Already reviewed, still in force, or the reviewer's own grant: not a typing mistake the
            # form could show beside the note, so it is said at the top of the list.
            messages.error(request, error.message)
            return redirect("audit:emergency_access")
        else:
            messages.success(request, "Review recorded.")
            return redirect("audit:emergency_access")
    return _render_grants(
        request, "pending", bound_form=form, bound_grant_id=grant_id, http_status=400
    )
