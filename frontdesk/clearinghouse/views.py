"""Screens of the exchange log: the list with filters, one exchange, its audited download, poll now."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.clearinghouse import selectors, services
from frontdesk.clearinghouse.forms import ExchangeFilterForm
from frontdesk.clearinghouse.handlers import registered_kinds
from frontdesk.clearinghouse.models import Exchange
from frontdesk.clearinghouse.transports import TransportError, get_transport
from frontdesk.core.errors import DomainError, NotFound

PAGE_SIZE = 50


def _exchange(request: HttpRequest, exchange_id: int) -> Exchange:
    try:
        return selectors.exchange_get(
            user=request.user, action=A.CLAIM_VIEW, exchange_id=exchange_id
        )
    except NotFound:
        raise Http404 from None


def _transport_name() -> str:
    try:
        return get_transport().name
    except TransportError as exc:
        return f"not configured ({exc.reason})"


@requires(A.CLAIM_VIEW)
@require_GET
def exchange_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = ExchangeFilterForm(request.GET or None)
    kind = status = ""
    if form.is_valid():
        kind, status = form.cleaned_data["kind"], form.cleaned_data["status"]
    queryset = selectors.exchange_list(
        user=user, action=A.CLAIM_VIEW, kind=kind, status=status
    ).annotate(patient_count=Count("patients"))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "clearinghouse/exchange_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "transport": _transport_name(),
            "can_poll": user.can(A.REMITTANCE_POST),
        },
    )


@requires(A.CLAIM_VIEW)
@require_GET
def exchange_detail(request: HttpRequest, exchange_id: int) -> HttpResponse:
    exchange = _exchange(request, exchange_id)
    responses = exchange.responses.order_by("created_at", "pk")
    return render(
        request,
        "clearinghouse/exchange_detail.html",
        {
            "exchange": exchange,
            "responses": responses,
            "patient_count": exchange.patients.count(),
            "handled": exchange.kind in registered_kinds(),
            "can_reprocess": (
                request.user.can(A.REMITTANCE_POST)  # type: ignore[union-attr]
                and exchange.status == "error"
                and exchange.direction == "in"
                and exchange.request_id is None
                and exchange.kind in registered_kinds()
            ),
        },
    )


@requires(A.CLAIM_VIEW)
@require_GET
def exchange_download(request: HttpRequest, exchange_id: int) -> HttpResponse:
    exchange = _exchange(request, exchange_id)
    if not exchange.stored_name:
        raise Http404
    data = services.exchange_download(actor=request.user, exchange=exchange)
    response = HttpResponse(data, content_type="application/edi-x12")
    name = exchange.filename or f"exchange-{exchange.pk}.x12"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@requires(A.REMITTANCE_POST)
@require_POST
def reprocess(request: HttpRequest, exchange_id: int) -> HttpResponse:
    exchange = _exchange(request, exchange_id)
    try:
        exchange = services.exchange_reprocess(actor=request.user, exchange=exchange)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if exchange.status == "processed":
            messages.success(request, "The file was processed.")
        else:
            messages.warning(request, f"The file still could not be processed: {exchange.error}")
    return redirect("clearinghouse:exchange", exchange_id=exchange.pk)


@requires(A.REMITTANCE_POST)
@require_POST
def poll(request: HttpRequest) -> HttpResponse:
    exchanges = services.inbox_poll(actor=request.user)
    errors = sum(1 for e in exchanges if e.status == "error")
    if not exchanges:
        messages.info(request, "Nothing new in the clearinghouse inbox.")
    elif errors:
        messages.warning(
            request,
            f"{len(exchanges)} new file{'s' if len(exchanges) != 1 else ''}; "
            f"{errors} could not be processed (see their error).",
        )
    else:
        messages.success(
            request, f"{len(exchanges)} new file{'s' if len(exchanges) != 1 else ''} received."
        )
    return redirect("clearinghouse:exchanges")
