"""The no-show worklist: cases open until rebooked or closed, outreach attempts, undo for a late arrival."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.chartprep import noshow_selectors, noshow_services
from frontdesk.chartprep.forms import CloseForm, OutreachForm
from frontdesk.chartprep.models import NoShowCase
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.scheduling.grid import patient_short


def _user(request: HttpRequest) -> Any:
    return request.user


def _case(request: HttpRequest, pk: int) -> NoShowCase:
    try:
        return noshow_selectors.case_get(user=_user(request), case_id=pk)
    except NotFound:
        raise Http404 from None


@requires(A.NOSHOW_WORK)
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    include_closed = request.GET.get("closed") == "1"
    cases = noshow_selectors.case_list(user=_user(request), include_closed=include_closed)
    rows = [
        {
            "c": case,
            "patient_label": f"{patient_short(case.patient)} · MRN {case.patient.mrn}",
            "local_start": case.appointment.starts_at.astimezone(case.location.tzinfo),
        }
        for case in cases
    ]
    return render(
        request,
        "chartprep/noshows.html",
        {
            "rows": rows,
            "include_closed": include_closed,
            "outreach_form": OutreachForm(),
            "close_form": CloseForm(),
        },
    )


@requires(A.NOSHOW_WORK)
@require_POST
def attempt(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    try:
        noshow_services.outreach_record(
            actor=_user(request),
            case=case,
            channel=request.POST.get("channel", ""),
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        detail = "; ".join(m for msgs in exc.fields.values() for m in msgs) or exc.message
        messages.error(request, f"Case #{case.pk}: {detail}")
    else:
        messages.success(request, f"Attempt logged for case #{case.pk}.")
    return redirect("noshows:list")


@requires(A.NOSHOW_WORK)
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    try:
        noshow_services.case_close(
            actor=_user(request),
            case=case,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        )
    except DomainError as exc:
        messages.error(request, f"Case #{case.pk}: {exc.message}")
    else:
        messages.success(request, f"Case #{case.pk} closed.")
    return redirect("noshows:list")


@requires(A.NOSHOW_WORK)
@require_POST
def undo(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient arrived late: the visit is booked again, ready to check in."""
    case = _case(request, pk)
    try:
        noshow_services.appointment_undo_no_show(actor=_user(request), appointment=case.appointment)
    except DomainError as exc:
        messages.error(request, f"Case #{case.pk}: {exc.message}")
    else:
        messages.success(
            request, f"No-show undone: appointment #{case.appointment_id} is booked again."
        )
    return redirect("noshows:list")
