"""Code search, the code/fee import and fee schedules (staff screens).

Thin: parse, call one service or selector, render. Code sets are reference data (not PHI): searches
are not audited; imports and schedule edits are, by the services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.coding import selectors, services
from frontdesk.coding.errors import CodeImportInvalid
from frontdesk.coding.forms import CodesImportForm, FeeEntryForm, FeeScheduleForm, SearchForm
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.practice.models import Payer
from frontdesk.standards.icd10cm import looks_like_code


def _user(request: HttpRequest) -> Any:
    return request.user


def _apply_errors(form: Any, exc: DomainError) -> None:
    if not exc.fields:
        form.add_error(None, exc.message)
    for field, errors in exc.fields.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _schedule(request: HttpRequest, schedule_id: int, action: str = A.CODES_VIEW) -> Any:
    try:
        return selectors.fee_schedule_get(
            user=_user(request), schedule_id=schedule_id, action=action
        )
    except NotFound:
        raise Http404 from None


@requires(A.CODES_VIEW)
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """ICD-10-CM and procedure code search; htmx asks for the results part as the person types."""
    form = SearchForm(request.GET or None)
    query = ""
    on: dt.date = timezone.localdate()
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        on = form.cleaned_data["on"] or on
    release, warning = selectors.icd10_release_for(on)
    context = {
        "form": form,
        "query": query,
        "on": on,
        "release": release,
        "warning": warning,
        "diagnoses": selectors.icd10_search(query, limit=25, on=on) if query else [],
        "procedures": selectors.procedure_search(query, limit=15) if query else [],
        "check": selectors.icd10_check(query, on=on) if looks_like_code(query) else None,
    }
    if request.headers.get("HX-Request"):
        return render(request, "coding/_results.html", context)
    return render(request, "coding/search.html", context)


@requires(A.CODES_MANAGE)
@require_http_methods(["GET", "POST"])
def codes_import(request: HttpRequest) -> HttpResponse:
    """Upload the practice's code/fee CSV: "Check" lists every problem, "Import" writes (all or none)."""
    form = CodesImportForm(request.POST or None, request.FILES or None)
    errors: list[dict[str, Any]] = []
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        check_only = request.POST.get("action") != "import"
        try:
            result = services.codes_import(
                actor=_user(request),
                data=upload.read(),
                file_name=upload.name,
                effective_from=form.cleaned_data["effective_from"],
                check_only=check_only,
            )
        except CodeImportInvalid as exc:
            errors = exc.errors
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            if not check_only:
                messages.success(
                    request,
                    f"Imported {result.rows} rows: {result.codes_created} new codes, "
                    f"{result.prices_set} prices.",
                )
                return redirect("coding:schedules")
    return render(request, "coding/import.html", {"form": form, "errors": errors, "result": result})


@requires(A.CODES_VIEW)
@require_GET
def schedule_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "coding/schedules.html",
        {
            "schedules": selectors.fee_schedule_list(user=_user(request)),
            "can_manage": _user(request).can(A.CODES_MANAGE),
        },
    )


@requires(A.CODES_MANAGE)
@require_http_methods(["GET", "POST"])
def schedule_create(request: HttpRequest) -> HttpResponse:
    form = FeeScheduleForm(request.POST or None, initial={"effective_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payer = Payer.objects.filter(pk=data["payer"]).first() if data["payer"] else None
        try:
            schedule = services.fee_schedule_create(
                actor=_user(request),
                name=data["name"],
                payer=payer,
                effective_from=data["effective_from"],
                effective_to=data["effective_to"],
                notes=data["notes"],
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Fee schedule created.")
            return redirect("coding:schedule", schedule_id=schedule.pk)
    return render(request, "coding/schedule_form.html", {"form": form, "schedule": None})


@requires(A.CODES_VIEW)
@require_GET
def schedule_detail(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule(request, schedule_id)
    query = request.GET.get("q", "")[:10]
    entries = selectors.fee_schedule_entries(schedule=schedule, query=query)
    return render(
        request,
        "coding/schedule.html",
        {
            "schedule": schedule,
            "entries": entries,
            "query": query,
            "can_manage": _user(request).can(A.CODES_MANAGE),
            "entry_form": FeeEntryForm(),
        },
    )


@requires(A.CODES_MANAGE)
@require_http_methods(["GET", "POST"])
def schedule_edit(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule(request, schedule_id, A.CODES_MANAGE)
    form = FeeScheduleForm(
        request.POST or None,
        with_payer=False,
        initial={
            "name": schedule.name,
            "effective_from": schedule.effective_from,
            "effective_to": schedule.effective_to,
            "notes": schedule.notes,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.fee_schedule_update(
                actor=_user(request),
                schedule=schedule,
                name=data["name"],
                effective_from=data["effective_from"],
                effective_to=data["effective_to"],
                notes=data["notes"],
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Fee schedule saved.")
            return redirect("coding:schedule", schedule_id=schedule.pk)
    return render(request, "coding/schedule_form.html", {"form": form, "schedule": schedule})


@requires(A.CODES_MANAGE)
@require_POST
def entry_set(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = _schedule(request, schedule_id, A.CODES_MANAGE)
    form = FeeEntryForm(request.POST)
    if form.is_valid():
        try:
            entry = services.fee_entry_set(
                actor=_user(request),
                schedule=schedule,
                code=form.cleaned_data["code"],
                modifier=form.cleaned_data["modifier"],
                amount=form.cleaned_data["amount"],
            )
        except DomainError as exc:
            for field_errors in exc.fields.values() or [[exc.message]]:
                for error in field_errors:
                    messages.error(request, error)
        else:
            messages.success(request, f"{entry} saved.")
    else:
        messages.error(request, "Enter a code and an amount.")
    return redirect("coding:schedule", schedule_id=schedule.pk)


@requires(A.CODES_MANAGE)
@require_POST
def entry_delete(request: HttpRequest, schedule_id: int, entry_id: int) -> HttpResponse:
    schedule = _schedule(request, schedule_id, A.CODES_MANAGE)
    try:
        services.fee_entry_delete(actor=_user(request), schedule=schedule, entry_id=entry_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Price removed.")
    return redirect("coding:schedule", schedule_id=schedule.pk)
