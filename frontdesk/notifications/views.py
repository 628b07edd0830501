"""Staff screens: the message log (what was sent to patients and what they replied) and the
follow-up tasks those replies create (list, claim, complete).

Thin: selectors scope and audit, services write and audit. Recipients are shown masked.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.core.errors import DomainError, NotFound
from frontdesk.notifications import selectors, services
from frontdesk.notifications.choices import Purpose
from frontdesk.notifications.forms import MessageFilterForm
from frontdesk.notifications.models import FollowUpTask
from frontdesk.scheduling.grid import patient_short

REPLY_CODES = {"confirmed": "C", "reschedule_requested": "R", "cancelled": "X"}


def _user(request: HttpRequest) -> Any:
    return request.user


PURPOSE_LABELS: dict[str, str] = dict(Purpose.choices)


def _patient_label(patient: Any) -> str:
    return f"{patient_short(patient)} · MRN {patient.mrn}" if patient is not None else ""


@requires(A.MESSAGE_VIEW)
@require_GET
def message_log(request: HttpRequest) -> HttpResponse:
    form = MessageFilterForm(request.GET)
    sent: list[dict[str, Any]] = []
    replies: list[dict[str, Any]] = []
    if form.is_valid():
        data = form.cleaned_data
        for message in selectors.message_list(
            user=_user(request),
            date_from=data["date_from"],
            date_to=data["date_to"],
            status=data["status"],
            channel=data["channel"],
        ):
            sent.append(
                {
                    "m": message,
                    "to": selectors.mask_address(message.to_address),
                    "purpose": PURPOSE_LABELS.get(message.purpose, message.purpose),
                    "patient_label": _patient_label(message.patient),
                }
            )
        if not data["status"] and not data["channel"]:
            for inbound in selectors.inbound_list(
                user=_user(request), date_from=data["date_from"], date_to=data["date_to"]
            ):
                replies.append(
                    {
                        "r": inbound,
                        "from": selectors.mask_address(inbound.from_number),
                        "code": REPLY_CODES.get(inbound.action, "—"),
                        "patient_label": _patient_label(inbound.patient),
                    }
                )
    return render(
        request,
        "notifications/message_log.html",
        {"form": form, "sent": sent, "replies": replies},
        status=200 if form.is_valid() else 400,
    )


@requires(A.TASK_WORK)
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    include_done = request.GET.get("done") == "1"
    tasks = selectors.followup_task_list(user=_user(request), include_done=include_done)
    rows = [
        {
            "t": task,
            "patient_label": _patient_label(task.patient),
            "appointment_local": task.appointment.starts_at.astimezone(
                task.appointment.location.tzinfo
            )
            if task.appointment
            else None,
        }
        for task in tasks
    ]
    return render(
        request,
        "notifications/tasks.html",
        {"rows": rows, "include_done": include_done, "me": _user(request).pk},
    )


@requires(A.TASK_WORK)
@require_GET
def task_count(request: HttpRequest) -> HttpResponse:
    """The open-task count beside "Tasks" in the navigation (fetched by frontdesk.js after the page
    loads, so every page keeps its own query count)."""
    return JsonResponse({"count": selectors.followup_task_open_count(user=_user(request))})


def _task(request: HttpRequest, pk: int) -> FollowUpTask:
    try:
        return selectors.followup_task_get(user=_user(request), task_id=pk)
    except NotFound:
        raise Http404 from None


@requires(A.TASK_WORK)
@require_POST
def task_claim(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    try:
        services.followup_task_claim(actor=_user(request), task=task)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Task #{task.pk} is yours.")
    return redirect("notifications:tasks")


@requires(A.TASK_WORK)
@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    try:
        services.followup_task_complete(
            actor=_user(request), task=task, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, f"Task #{task.pk}: {exc.message}")
    else:
        messages.success(request, f"Task #{task.pk} done.")
    return redirect("notifications:tasks")
