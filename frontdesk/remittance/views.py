"""Remittance screens: import an 835, the remittance list and detail, and the denial worklist.

Thin: parse, call one service or selector, render. Ids only in URLs.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.remittance import selectors, services
from frontdesk.remittance.forms import (
    ACTIONS,
    DenialActionForm,
    DenialAssignForm,
    DenialFilterForm,
    EraUploadForm,
)


def _user(request: HttpRequest) -> Any:
    return request.user


def _apply_errors(form: Any, exc: DomainError) -> None:
    if not exc.fields:
        form.add_error(None, exc.message)
    for name, errors in exc.fields.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


@requires(A.REMITTANCE_POST)
@require_http_methods(["GET", "POST"])
def era_import_view(request: HttpRequest) -> HttpResponse:
    form = EraUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.era_import(
                actor=_user(request), data=upload.read(), filename=upload.name
            )
        except DomainError as exc:
            _apply_errors(form, exc)
        else:
            if result.posted and not result.already_posted and len(result.posted) == 1:
                for message in result.messages:
                    messages.warning(request, message)
                messages.success(request, "The 835 was posted.")
                return redirect("remittance:detail", remittance_id=result.posted[0].pk)
    return render(request, "remittance/import.html", {"form": form, "result": result})


@requires(A.CLAIM_VIEW)
@require_GET
def remittance_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "remittance/list.html",
        {
            "remittances": selectors.remittance_list(user=_user(request)),
            "can_import": _user(request).can(A.REMITTANCE_POST),
        },
    )


@requires(A.CLAIM_VIEW)
@require_GET
def remittance_detail(request: HttpRequest, remittance_id: int) -> HttpResponse:
    try:
        page = selectors.remittance_get(user=_user(request), remittance_id=remittance_id)
    except NotFound:
        raise Http404 from None
    return render(request, "remittance/detail.html", {"page": page})


@requires(A.DENIAL_WORK)
@require_GET
def denial_list(request: HttpRequest) -> HttpResponse:
    form = DenialFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    denials = selectors.denial_list(user=_user(request), **filters)
    template = (
        "remittance/_denial_rows.html"
        if request.headers.get("HX-Request")
        else "remittance/denials.html"
    )
    return render(request, template, {"form": form, "denials": denials})


def _denial(request: HttpRequest, denial_id: int) -> Any:
    try:
        return selectors.denial_get(user=_user(request), denial_id=denial_id)
    except NotFound:
        raise Http404 from None


@requires(A.DENIAL_WORK)
@require_GET
def denial_detail(request: HttpRequest, denial_id: int) -> HttpResponse:
    denial = _denial(request, denial_id)
    return render(
        request,
        "remittance/denial.html",
        {
            "denial": denial,
            "assign_form": DenialAssignForm(
                initial={"assigned_to": denial.assigned_to_id},
                workers=selectors.denial_workers(user=_user(request)),
            ),
            "action_form": DenialActionForm(),
            "actions": ACTIONS,
        },
    )


@requires(A.DENIAL_WORK)
@require_POST
def denial_assign(request: HttpRequest, denial_id: int) -> HttpResponse:
    denial = _denial(request, denial_id)
    workers = selectors.denial_workers(user=_user(request))
    form = DenialAssignForm(request.POST, workers=workers)
    if form.is_valid():
        assignee = next((u for u in workers if u.pk == form.cleaned_data["assigned_to"]), None)
        try:
            services.denial_assign(
                actor=_user(request),
                denial=denial,
                assignee=assignee,
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Assigned.")
    else:
        messages.error(request, "Pick someone who works denials.")
    return redirect("remittance:denial", denial_id=denial.pk)


_SERVICES = {
    "appeal": lambda actor, denial, note: services.denial_appeal(
        actor=actor, denial=denial, note=note
    ),
    "corrected": lambda actor, denial, note: services.denial_corrected(
        actor=actor, denial=denial, note=note
    ),
    "write_off": lambda actor, denial, note: services.denial_write_off(
        actor=actor, denial=denial, reason=note
    ),
    "bill_patient": lambda actor, denial, note: services.denial_bill_patient(
        actor=actor, denial=denial, reason=note
    ),
    "resolve": lambda actor, denial, note: services.denial_resolve(
        actor=actor, denial=denial, note=note
    ),
    "note": lambda actor, denial, note: services.denial_note_add(
        actor=actor, denial=denial, note=note
    ),
}


@requires(A.DENIAL_WORK)
@require_POST
def denial_action(request: HttpRequest, denial_id: int) -> HttpResponse:
    denial = _denial(request, denial_id)
    form = DenialActionForm(request.POST)
    if form.is_valid():
        action = form.cleaned_data["action"]
        try:
            _SERVICES[action](_user(request), denial, form.cleaned_data["note"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{ACTIONS[action]}: done.")
    else:
        messages.error(request, "Pick an action.")
    return redirect("remittance:denial", denial_id=denial.pk)
