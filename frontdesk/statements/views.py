"""The patient account page, its small posting forms, statements, runs, plans and collections.

Thin: parse, call one service or selector, render. Ids only in URLs.
"""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.crypto import decrypt_bytes
from frontdesk.core.csvcell import csv_cell
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.ledger import services as ledger_services
from frontdesk.ledger.choices import EntryKind
from frontdesk.ledger.selectors import account_get, account_or_404
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Location
from frontdesk.statements import reports, selectors, services
from frontdesk.statements.forms import (
    AdjustmentForm,
    ChargeForm,
    CollectionsForm,
    PlanCancelForm,
    PlanForm,
    ReverseForm,
)

# The desk payment screen lives in payments (the "pay" work); its URL name is a guess until merged.


def _user(request: HttpRequest) -> Any:
    return request.user


def _apply_errors(form: Any, exc: DomainError) -> None:
    if not exc.fields:
        form.add_error(None, exc.message)
    for field, errors in exc.fields.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _account(request: HttpRequest, account_id: int, action: str) -> Any:
    try:
        return selectors.account_for_user(user=_user(request), account_id=account_id, action=action)
    except NotFound:
        raise Http404 from None


def _pay_url(holder_id: int) -> str:
    """The desk's Take payment screen for the account holder (their payments land on this account)."""
    return reverse("payments:take", args=[holder_id])


@requires(A.LEDGER_VIEW)
@require_GET
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    user = _user(request)
    try:
        page = selectors.account_page(user=user, account_id=account_id)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "statements/account.html",
        {
            "page": page,
            "pay_url": _pay_url(page.account.holder_id) if user.can(A.PAYMENT_COLLECT) else None,
            "can_post": user.can(A.CHARGE_POST),
            "can_plan": user.can(A.STATEMENT_RUN),
            "cancel_form": PlanCancelForm(),
        },
    )


@requires(A.LEDGER_VIEW)
@require_GET
def patient_account(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The account a patient's charges go on (their guarantor's), or 404 with none yet."""
    from frontdesk.core.queryset import get_restricted

    try:
        patient = get_restricted(
            Patient.objects.all(), _user(request), A.PATIENT_VIEW, pk=patient_id
        )
        account = account_or_404(user=_user(request), patient=patient)
    except NotFound:
        raise Http404 from None
    # Rendered here rather than redirected, so the patient page's link is one request.
    return account_detail(request, account.pk)


def _locations(request: HttpRequest, action: str) -> list[Location]:
    return list(Location.objects.restrict(_user(request), action).order_by("name"))


@requires(A.CHARGE_POST)
@require_http_methods(["GET", "POST"])
def charge_new(request: HttpRequest, account_id: int) -> HttpResponse:
    # The form lists the account's patients: an audited read of the account.
    try:
        account = account_get(user=_user(request), account_id=account_id)
    except NotFound:
        raise Http404 from None
    patients = selectors.account_patients(account=account)
    form = ChargeForm(
        request.POST or None, patients=patients, locations=_locations(request, A.CHARGE_POST)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patient = next(p for p in patients if p.pk == data["patient"])
        location = Location.objects.get(pk=data["location"])
        try:
            ledger_services.charge_post(
                actor=_user(request),
                patient=patient,
                location=location,
                code=data["code"],
                amount=data["amount"],
                memo=data["memo"],
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Charge posted.")
            return redirect("patient_accounts:detail", account_id=account.pk)
    return render(
        request, "statements/post_form.html", {"form": form, "account": account, "what": "charge"}
    )


@requires(A.CHARGE_POST)
@require_http_methods(["GET", "POST"])
def adjustment_new(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id, A.CHARGE_POST)
    form = AdjustmentForm(request.POST or None, locations=_locations(request, A.CHARGE_POST))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ledger_services.adjustment_post(
                actor=_user(request),
                account=account,
                location=Location.objects.get(pk=data["location"]),
                code=data["code"],
                amount=data["amount"],
                reason=data["reason"],
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Adjustment posted.")
            return redirect("patient_accounts:detail", account_id=account.pk)
    return render(
        request,
        "statements/post_form.html",
        {"form": form, "account": account, "what": "adjustment"},
    )


@requires(A.CHARGE_POST)
@require_http_methods(["GET", "POST"])
def entry_reverse(request: HttpRequest, account_id: int, entry_id: int) -> HttpResponse:
    """Confirm and post a reversal of a charge or adjustment (payments are voided in payments)."""
    account = _account(request, account_id, A.CHARGE_POST)
    try:
        entry = selectors.entry_for_user(user=_user(request), account=account, entry_id=entry_id)
    except NotFound:
        raise Http404 from None
    if entry.kind in (EntryKind.PAYMENT, EntryKind.REFUND):
        messages.error(request, "Payments and refunds are voided from the payment screen.")
        return redirect("patient_accounts:detail", account_id=account.pk)
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ledger_services.entry_reverse(
                actor=_user(request), entry=entry, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Entry reversed.")
            return redirect("patient_accounts:detail", account_id=account.pk)
    return render(
        request, "statements/reverse_form.html", {"form": form, "account": account, "entry": entry}
    )


# --- payment plans --------------------------------------------------------------------------------


@requires(A.STATEMENT_RUN)
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(request, account_id, A.STATEMENT_RUN)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.plan_create(
                actor=_user(request),
                account=account,
                total=data["total"],
                instalment_count=data["instalment_count"],
                frequency=data["frequency"],
                start_date=data["start_date"],
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Payment plan created.")
            return redirect("patient_accounts:detail", account_id=account.pk)
    return render(request, "statements/plan_form.html", {"form": form, "account": account})


@requires(A.STATEMENT_RUN)
@require_POST
def plan_cancel(request: HttpRequest, plan_id: int) -> HttpResponse:
    try:
        plan = selectors.plan_get(user=_user(request), plan_id=plan_id)
    except NotFound:
        raise Http404 from None
    form = PlanCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason to cancel the plan.")
    else:
        try:
            services.plan_cancel(
                actor=_user(request), plan=plan, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Payment plan cancelled.")
    return redirect("patient_accounts:detail", account_id=plan.account_id)


# --- statements -------------------------------------------------------------------------------------


@requires(A.LEDGER_VIEW)
@require_GET
def statement_pdf(request: HttpRequest, statement_id: int) -> HttpResponse:
    try:
        statement = selectors.statement_get(user=_user(request), statement_id=statement_id)
    except NotFound:
        raise Http404 from None
    with statement.pdf.open("rb") as handle:
        data = decrypt_bytes(handle.read())
    audit_record(
        actor=_user(request),
        action=AuditAction.READ,
        category=AuditCategory.FINANCIAL,
        patient_id=statement.account.holder_id,
        object_type="statement",
        object_id=statement.pk,
        detail={"event": "statement_viewed"},
    )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{statement.pk}.pdf"'
    response["X-Content-SHA256"] = statement.pdf_sha256
    return response


@requires(A.STATEMENT_RUN)
@require_http_methods(["GET", "POST"])
def runs(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        run = services.statement_run_start(
            actor=_user(request), dry_run=request.POST.get("dry_run") == "1"
        )
        return redirect("statements:run", run_id=run.pk)
    return render(
        request,
        "statements/runs.html",
        {
            "runs": selectors.run_list(user=_user(request)),
            "threshold": services.statement_threshold(),
            "cycle_days": services.cycle_days(),
        },
    )


@requires(A.STATEMENT_RUN)
@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    try:
        run = selectors.run_get(user=_user(request), run_id=run_id)
    except NotFound:
        raise Http404 from None
    finished = run.status in ("done", "failed")
    if request.headers.get("HX-Request"):
        return render(request, "statements/_run_progress.html", {"run": run, "finished": finished})
    statements = selectors.run_statements(user=_user(request), run=run) if finished else []
    return render(
        request,
        "statements/run.html",
        {"run": run, "finished": finished, "statements": statements},
    )


# --- collections ------------------------------------------------------------------------------------


@requires(A.COLLECTIONS_REPORT)
@require_GET
def collections(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    data = request.GET if "date_from" in request.GET else None
    form = CollectionsForm(data, initial={"date_from": today.replace(day=1), "date_to": today})
    if data is None:
        date_from, date_to = today.replace(day=1), today
    elif form.is_valid():
        date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    else:
        return render(request, "statements/collections.html", {"form": form, "report": None})
    report = reports.collections_report(user=_user(request), date_from=date_from, date_to=date_to)
    if request.GET.get("format") == "csv":
        return _collections_csv(request, report)
    return render(
        request,
        "statements/collections.html",
        {"form": form, "report": report, "query": f"date_from={date_from}&date_to={date_to}"},
    )


def _collections_csv(request: HttpRequest, report: reports.Collections) -> HttpResponse:
    audit_record(
        actor=_user(request),
        action=AuditAction.EXPORT,
        category=AuditCategory.FINANCIAL,
        object_type="collections_report",
        detail={"from": report.date_from.isoformat(), "to": report.date_to.isoformat()},
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="collections-{report.date_from}-{report.date_to}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(["dimension", "key", "collected", "voided", "net"])
    for name, rows in report.by.items():
        for row in rows:
            # Text cells are neutralised (a staff or location name could start with "="); the
            # amounts are FrontDesk's own Decimals, written as numbers.
            writer.writerow([name, csv_cell(row.key), row.collected, row.voided, row.net])
    writer.writerow(["total", "", report.total_collected, report.total_voided, report.total_net])
    writer.writerow(["time_of_service", "due_at_visit", report.due_at_visit, "", ""])
    writer.writerow(["time_of_service", "collected_at_visit", report.collected_at_visit, "", ""])
    writer.writerow(
        [
            "time_of_service",
            "rate_percent",
            report.tos_rate if report.tos_rate is not None else "",
            "",
            "",
        ]
    )
    return response
