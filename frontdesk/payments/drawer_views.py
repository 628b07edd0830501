"""Screens of cash drawers, the day close and card settlement. Thin: selectors read, services write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.ledger.choices import DayState
from frontdesk.ledger.models import LedgerDay
from frontdesk.ledger.services import business_date
from frontdesk.payments import drawer_selectors as sel
from frontdesk.payments import drawer_services as services
from frontdesk.payments.choices import DrawerStatus
from frontdesk.payments.drawer_forms import (
    ApproveForm,
    DayForm,
    DrawerCountForm,
    DrawerOpenForm,
    ReopenForm,
    SettlementUploadForm,
)
from frontdesk.payments.drawer_models import DayClose, DrawerClose, SettlementImport
from frontdesk.payments.pdf import TENDER_LABELS, report_read
from frontdesk.practice.models import Location


def _apply_errors(form: Any, exc: DomainError) -> None:
    if not exc.fields:
        form.add_error(None, exc.message)
    for field, errors in exc.fields.items():
        for error in errors:
            target = field if field in form.fields else None
            if field in ("counts", "cash_counts"):
                target = None
            form.add_error(target, error)


def _message(exc: DomainError) -> str:
    """One line for a flash message: the field messages when there are some."""
    details = [m for messages_ in exc.fields.values() for m in messages_]
    return " ".join(details) if details else exc.message


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _drawer(request: HttpRequest, drawer_id: int) -> Any:
    try:
        return sel.drawer_get(user=request.user, drawer_id=drawer_id)
    except NotFound:
        raise Http404 from None


def _expected_rows(drawer: Any) -> list[dict[str, Any]]:
    expected = sel.drawer_expected(drawer)
    return [
        {
            "label": TENDER_LABELS[kind],
            "payments": expected.payments[kind],
            "voids": expected.voids[kind],
            "refunds": expected.refunds[kind],
            "expected": expected.totals[kind],
        }
        for kind in sel.DRAWER_TENDERS
    ]


# --- my drawer ----------------------------------------------------------------------------------


@requires(A.DRAWER_OPERATE)
@require_http_methods(["GET", "POST"])
def my_drawer(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    locations = Location.objects.restrict(user, A.DRAWER_OPERATE).order_by("name")
    form = DrawerOpenForm(request.POST or None, locations=locations)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                drawer = services.drawer_open(
                    actor=user,
                    location=form.cleaned_data["location"],
                    workstation=form.cleaned_data["workstation"],
                    counts=form.counts(),
                )
            except DomainError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Drawer opened at {drawer.workstation} with a float of "
                    f"${drawer.opening_float:,.2f}.",
                )
                return redirect("drawer:mine")
        status = 400
    drawers = [
        {"d": d, "rows": _expected_rows(d) if d.status == DrawerStatus.OPEN else []}
        for d in sel.my_open_drawers(user=user)
    ]
    return render(
        request,
        "payments/drawer_mine.html",
        {"form": form, "drawers": drawers, "limit": services.variance_limit()},
        status=status,
    )


@requires(A.DRAWER_OPERATE)
@require_http_methods(["GET", "POST"])
def drawer_close(request: HttpRequest, drawer_id: int) -> HttpResponse:
    user: Any = request.user
    drawer = _drawer(request, drawer_id)
    form = DrawerCountForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if drawer.status != DrawerStatus.OPEN:
            messages.error(request, services.MSG_NOT_OPEN)
            return redirect("drawer:close", drawer_id=drawer.pk)
        if form.is_valid():
            try:
                drawer = services.drawer_count_close(
                    actor=user,
                    drawer=drawer,
                    cash_counts=form.counts(),
                    checks=form.cleaned_data["checks"],
                    card_batch_total=form.cleaned_data["card_batch_total"],
                    variance_reason=form.cleaned_data["variance_reason"],
                )
            except DomainError as exc:
                _apply_errors(form, exc)
            else:
                if drawer.status == DrawerStatus.CLOSED:
                    messages.success(request, "Drawer closed. Print the deposit slip.")
                else:
                    messages.warning(
                        request, "Drawer counted: the variance now waits for a manager's approval."
                    )
                return redirect("drawer:close", drawer_id=drawer.pk)
        status = 400
    close = DrawerClose.objects.filter(drawer=drawer).select_related("counted_by").first()
    return render(
        request,
        "payments/drawer_close.html",
        {
            "drawer": drawer,
            "form": form,
            "rows": _expected_rows(drawer) if drawer.status == DrawerStatus.OPEN else [],
            "close": close,
            "tenders": [
                {"label": TENDER_LABELS[k], **v}
                for k, v in (close.tenders if close else {}).items()
            ],
            "limit": services.variance_limit(),
        },
        status=status,
    )


def _drawer_report(request: HttpRequest, drawer_id: int, which: str) -> HttpResponse:
    drawer = _drawer(request, drawer_id)
    close = DrawerClose.objects.filter(drawer=drawer).select_related(which).first()
    report = getattr(close, which, None) if close else None
    if report is None:
        raise Http404
    try:
        data = report_read(
            actor=request.user, report=report, object_type="drawer_session", object_id=drawer.pk
        )
    except DomainError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
    name = "close-report" if which == "report" else "deposit-slip"
    return _pdf(data, f"drawer-{drawer.pk}-{name}.pdf")


@requires(A.DRAWER_OPERATE)
@require_GET
def drawer_report(request: HttpRequest, drawer_id: int) -> HttpResponse:
    return _drawer_report(request, drawer_id, "report")


@requires(A.DRAWER_OPERATE)
@require_GET
def drawer_deposit(request: HttpRequest, drawer_id: int) -> HttpResponse:
    return _drawer_report(request, drawer_id, "deposit_slip")


# --- approvals ----------------------------------------------------------------------------------


@requires(A.DRAWER_APPROVE)
@require_GET
def approvals(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "payments/drawer_approvals.html",
        {"drawers": sel.drawers_awaiting_approval(user=request.user), "form": ApproveForm()},
    )


@requires(A.DRAWER_APPROVE)
@require_POST
def approve(request: HttpRequest, drawer_id: int) -> HttpResponse:
    drawer = _drawer(request, drawer_id)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write an approval note.")
        return redirect("drawer:approvals")
    try:
        services.drawer_approve(actor=request.user, drawer=drawer, note=form.cleaned_data["note"])
    except DomainError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, f"Drawer {drawer.workstation} approved and closed.")
    return redirect("drawer:approvals")


# --- the day close ------------------------------------------------------------------------------


def _location_and_date(request: HttpRequest, data: Any) -> tuple[Any, Any, dt.date]:
    user: Any = request.user
    locations = Location.objects.restrict(user, A.DAY_CLOSE).order_by("name")
    form = DayForm(data, locations=locations)
    location = form.cleaned_data.get("location") if form.is_valid() else None
    location = location or locations.first()
    if location is None:
        raise Http404
    date = (form.cleaned_data.get("date") if form.is_valid() else None) or business_date(
        location, timezone.now()
    )
    return form, location, date


def _day_url(location: Any, date: dt.date) -> str:
    return f"{reverse('drawer:day')}?location={location.pk}&date={date.isoformat()}"


@requires(A.DAY_CLOSE)
@require_GET
def day(request: HttpRequest) -> HttpResponse:
    form, location, date = _location_and_date(request, request.GET or None)
    ledger_day = LedgerDay.objects.filter(location=location, date=date).first()
    closed = ledger_day is not None and ledger_day.state == DayState.CLOSED
    drawers = sel.day_drawers(location=location, date=date)
    blocking = [d for d in drawers if d.status != DrawerStatus.CLOSED]
    history = sel.day_close_history(location=location, date=date)
    standing = next((c for c in reversed(history) if c.reopened_at is None), None)
    totals = (
        standing.totals if (closed and standing) else sel.day_totals(location=location, date=date)
    )
    return render(
        request,
        "payments/day_close.html",
        {
            "form": form,
            "location": location,
            "date": date,
            "closed": closed,
            "drawers": drawers,
            "blocking": blocking,
            "history": history,
            "totals": totals,
            "reopen_form": ReopenForm(),
            "can_reopen": request.user.can(A.DAY_REOPEN),  # type: ignore[union-attr]
        },
    )


@requires(A.DAY_CLOSE)
@require_POST
def day_close(request: HttpRequest) -> HttpResponse:
    _form, location, date = _location_and_date(request, request.POST)
    try:
        services.day_close(actor=request.user, location=location, date=date)
    except DomainError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, f"{location.name}: {date:%A %d %B %Y} is closed.")
    return redirect(_day_url(location, date))


@requires(A.DAY_REOPEN)
@require_POST
def day_reopen(request: HttpRequest) -> HttpResponse:
    _form, location, date = _location_and_date(request, request.POST)
    try:
        services.day_reopen(
            actor=request.user, location=location, date=date, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, f"{location.name}: {date:%A %d %B %Y} is open again.")
    return redirect(_day_url(location, date))


@requires(A.DAY_CLOSE)
@require_GET
def day_report(request: HttpRequest, close_id: int) -> HttpResponse:
    scope = Location.objects.restrict(
        request.user,  # type: ignore[arg-type]
        A.DAY_CLOSE,
    ).values("pk")
    close = (
        DayClose.objects.filter(pk=close_id, location__in=scope).select_related("report").first()
    )
    if close is None or close.report is None:
        raise Http404
    try:
        data = report_read(
            actor=request.user, report=close.report, object_type="day_close", object_id=close.pk
        )
    except DomainError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
    return _pdf(data, f"day-close-{close.date.isoformat()}-{close.pk}.pdf")


# --- card settlement ----------------------------------------------------------------------------


@requires(A.SETTLEMENT_IMPORT)
@require_http_methods(["GET", "POST"])
def settlement(request: HttpRequest) -> HttpResponse:
    from frontdesk.payments.settlement import settlement_import

    user: Any = request.user
    locations = Location.objects.restrict(user, A.SETTLEMENT_IMPORT).order_by("name")
    form = SettlementUploadForm(request.POST or None, request.FILES or None, locations=locations)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                record, created = settlement_import(
                    actor=user,
                    data=upload.read(),
                    file_name=upload.name,
                    location=form.cleaned_data["location"],
                )
            except DomainError as exc:
                _apply_errors(form, exc)
            else:
                if not created:
                    messages.info(request, "This file was already imported; showing that import.")
                return redirect("drawer:settlement_detail", import_id=record.pk)
        status = 400
    imports = sel.settlement_imports(user=user).order_by("-imported_at", "-pk")[:50]
    return render(
        request,
        "payments/settlement_list.html",
        {"form": form, "imports": imports},
        status=status,
    )


@requires(A.SETTLEMENT_IMPORT)
@require_GET
def settlement_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    record: SettlementImport | None = (
        sel.settlement_imports(user=request.user).filter(pk=import_id).first()
    )
    if record is None:
        raise Http404
    lines = record.lines.order_by("line_number", "pk")
    problems = [line for line in lines if line.result != "matched"]
    matched = [line for line in lines if line.result == "matched"]
    return render(
        request,
        "payments/settlement_detail.html",
        {"record": record, "problems": problems, "matched": matched},
    )
