"""Front-desk screens: today's list with the check-in checklist (htmx panel), the live flow board with
its move panel, rooms and running-late action, and flow metrics.

Thin: selectors read (scoped, audited), services write. Errors come back as the panel re-rendered with
the message beside its field (422 invalid, 409 conflict, 403 not allowed); success answers a short
status line and triggers ``flow-changed`` so the open board refreshes at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontdesk.accounts.decorators import requires
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from frontdesk.core.queryset import get_restricted
from frontdesk.practice.models import Location, Provider, Room
from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.models import Appointment
from frontdesk.visits import selectors, services
from frontdesk.visits.choices import FLOW_ORDER, FlowState, flow_index
from frontdesk.visits.forms import CheckInForm
from frontdesk.visits.models import Visit


def _user(request: HttpRequest) -> Any:
    return request.user


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _locations(request: HttpRequest) -> Any:
    return (
        Location.objects.restrict(_user(request), A.SCHEDULE_VIEW)
        .filter(is_active=True)
        .order_by("name", "pk")
    )


def _location(request: HttpRequest, raw: Any) -> Location:
    scoped = _locations(request)
    pk = _int(raw)
    location = scoped.filter(pk=pk).first() if pk is not None else scoped.first()
    if location is None:
        raise Http404
    return location


def _day(raw: Any, location: Location) -> dt.date:
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        return timezone.now().astimezone(location.tzinfo).date()


def _status(exc: DomainError) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, Conflict):
        return 409
    return 422


def _errors_of(exc: DomainError) -> dict[str, list[str]]:
    fields = dict(exc.fields)
    if not fields:
        fields["general"] = [exc.message]
    return fields


def _changed(request: HttpRequest, message: str) -> HttpResponse:
    response = render(request, "visits/_done.html", {"message": message})
    response["HX-Trigger"] = "flow-changed"
    return response


def _board(request: HttpRequest, *, audit: bool = True) -> selectors.Board:
    location = _location(request, request.GET.get("location"))
    day = _day(request.GET.get("date"), location)
    try:
        return selectors.flow_board(
            user=_user(request),
            location_id=location.pk,
            day=day,
            provider_id=_int(request.GET.get("provider")),
            audit=audit,
        )
    except NotFound:
        raise Http404 from None


def _board_context(request: HttpRequest, board: selectors.Board) -> dict[str, Any]:
    user = _user(request)
    return {
        "board": board,
        "location": board.location,
        "can_move": user.can(A.FLOW_MANAGE),
        "can_check_in": user.can(A.APPOINTMENT_CHECK_IN),
        # Reversed once per page, not once per card (a busy board has hundreds); ids only in URLs.
        "card_url": reverse("visits:card", args=[0]).split("/0/"),
        "check_in_url": reverse("visits:check_in", args=[0]).split("/0/"),
        "undo_url": reverse("visits:check_in_undo", args=[0]).split("/0/"),
        "amber": selectors.amber_minutes(),
        "red": selectors.red_minutes(),
    }


# --- today's list and check-in -------------------------------------------------------------------


@requires(A.APPOINTMENT_CHECK_IN)
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    board = _board(request)
    cards = sorted(board.cards, key=lambda c: (c.starts_at, c.appointment_id))
    context = _board_context(request, board)
    context.update(cards=cards, locations=_locations(request))
    return render(request, "visits/today.html", context)


def _appointment(request: HttpRequest, pk: int, action: str) -> Appointment:
    try:
        appointment: Appointment = get_restricted(
            Appointment.objects.select_related("location", "provider", "patient"),
            _user(request),
            action,
            pk=pk,
        )
    except NotFound:
        raise Http404 from None
    return appointment


def _check_in_context(request: HttpRequest, pk: int, form: CheckInForm | None) -> dict[str, Any]:
    appointment = _appointment(request, pk, A.APPOINTMENT_CHECK_IN)
    today = timezone.now().astimezone(appointment.location.tzinfo).date()
    panel = selectors.check_in_panel(user=_user(request), appointment_id=pk, today=today)
    patient = panel.appointment.patient
    return {
        "panel": panel,
        "a": panel.appointment,
        "patient": patient,
        "patient_short": f"{patient.last_name}, {patient.first_name}",
        "local_start": panel.appointment.starts_at.astimezone(appointment.location.tzinfo),
        "form": form or CheckInForm(),
        "can_override": _user(request).can(A.CHECK_IN_OVERRIDE),
        "can_estimate": _user(request).can(A.ESTIMATE_CREATE),
        "errors": {},
    }


@requires(A.APPOINTMENT_CHECK_IN)
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        return render(request, "visits/_check_in.html", _check_in_context(request, pk, None))
    appointment = _appointment(request, pk, A.APPOINTMENT_CHECK_IN)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        context = _check_in_context(request, pk, form)
        context["errors"] = {name: list(errs) for name, errs in form.errors.items()}
        return render(request, "visits/_check_in.html", context, status=422)
    try:
        check = services.visit_check_in(
            actor=_user(request), appointment=appointment, data=form.to_input()
        )
    except DomainError as exc:
        context = _check_in_context(request, pk, form)
        context["errors"] = _errors_of(exc)
        return render(request, "visits/_check_in.html", context, status=_status(exc))
    due = "" if check.copay_due is None else f" Collect ${check.copay_due}."
    return _changed(
        request,
        f"Checked in: {appointment.patient.last_name}, {appointment.patient.first_name[:1]}.{due}",
    )


@requires(A.APPOINTMENT_CHECK_IN)
@require_POST
def check_in_undo(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, A.APPOINTMENT_CHECK_IN)
    self_arrival = appointment.status == AppointmentStatus.ARRIVED
    try:
        services.visit_check_in_undo(
            actor=_user(request), appointment=appointment, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        context = _card_context(request, appointment)
        context["errors"] = _errors_of(exc)
        return render(request, "visits/_card.html", context, status=_status(exc))
    if self_arrival:
        return _changed(request, "Kiosk arrival undone; the patient is expected again.")
    return _changed(request, "Check-in undone; the patient is expected again.")


# --- the flow board ------------------------------------------------------------------------------


@requires(A.SCHEDULE_VIEW)
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    board = _board(request)
    context = _board_context(request, board)
    context["locations"] = _locations(request)
    return render(request, "visits/board.html", context)


@requires(A.SCHEDULE_VIEW)
@require_GET
def board_changes(request: HttpRequest) -> HttpResponse:
    """204 while the board is unchanged (two cheap aggregates); the fresh board otherwise."""
    location = _location(request, request.GET.get("location"))
    day = _day(request.GET.get("date"), location)
    version = selectors.board_version(user=_user(request), location_id=location.pk, day=day)
    if version == request.GET.get("v", ""):
        return HttpResponse(status=204)
    return render(request, "visits/_board.html", _board_context(request, _board(request)))


def _card_context(request: HttpRequest, appointment: Appointment) -> dict[str, Any]:
    visit = Visit.objects.filter(appointment=appointment).select_related("room").first()
    state = visit.state if visit else FlowState.EXPECTED
    occupied = set(
        Visit.objects.filter(location=appointment.location, state=FlowState.ROOMED)
        .exclude(appointment=appointment)
        .values_list("room_id", flat=True)
    )
    rooms = [
        {"room": room, "occupied": room.pk in occupied}
        for room in Room.objects.filter(location=appointment.location, is_active=True).order_by(
            "name", "pk"
        )
    ]
    index = flow_index(state)
    tz = appointment.location.tzinfo
    return {
        "a": appointment,
        "visit": visit,
        "state": state,
        "state_label": FlowState(state).label,
        "patient_short": f"{appointment.patient.last_name}, {appointment.patient.first_name[:1]}.",
        "local_start": appointment.starts_at.astimezone(tz),
        "forward": [
            (s, FlowState(s).label)
            for s in FLOW_ORDER[index + 1 :]
            if s != FlowState.ROOMED and state != FlowState.EXPECTED
        ],
        "backward": [
            (s, FlowState(s).label)
            for s in FLOW_ORDER[1:index]
            if state != FlowState.EXPECTED and s != FlowState.ROOMED
        ],
        "can_room": state != FlowState.EXPECTED,
        "rooms": rooms,
        "can_move": _user(request).can(A.FLOW_MANAGE),
        "can_check_in": _user(request).can(A.APPOINTMENT_CHECK_IN),
        "is_backward_room": index > flow_index(FlowState.ROOMED),
        # Arrived at the kiosk, not yet checked in at the desk (the FHIR status is "arrived").
        "self_arrival": state == FlowState.ARRIVED
        and appointment.status == AppointmentStatus.ARRIVED,
        "errors": {},
    }


@requires(A.SCHEDULE_VIEW)
@require_GET
def card(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, A.SCHEDULE_VIEW)
    audit_record(
        actor=_user(request),
        action=AuditAction.READ,
        category=AuditCategory.SCHEDULE,
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.pk,
        detail={"view": "flow_card"},
    )
    return render(request, "visits/_card.html", _card_context(request, appointment))


@requires(A.FLOW_MANAGE)
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk, A.FLOW_MANAGE)
    state = request.POST.get("state", "")
    room = None
    room_id = _int(request.POST.get("room"))
    if request.POST.get("room"):
        room = (
            Room.objects.restrict(_user(request), A.FLOW_MANAGE).filter(pk=room_id).first()
            if room_id is not None
            else None
        )
        if room is None:
            exc = ValidationFailed(services.MSG_ROOM_INVALID, field="room")
            context = _card_context(request, appointment)
            context["errors"] = _errors_of(exc)
            return render(request, "visits/_card.html", context, status=422)
    try:
        visit = services.flow_move(
            actor=_user(request),
            appointment=appointment,
            to_state=state,
            room=room,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        context = _card_context(request, appointment)
        context["errors"] = _errors_of(exc)
        return render(request, "visits/_card.html", context, status=_status(exc))
    where = f" ({visit.room.name})" if visit.room else ""
    return _changed(
        request,
        f"{appointment.patient.last_name}, {appointment.patient.first_name[:1]}.: "
        f"{FlowState(visit.state).label}{where}.",
    )


@requires(A.FLOW_MANAGE)
@require_POST
def running_late(request: HttpRequest) -> HttpResponse:
    location = _location(request, request.POST.get("location"))
    provider = (
        Provider.objects.restrict(_user(request), A.SCHEDULE_VIEW)
        .filter(pk=_int(request.POST.get("provider")), is_active=True)
        .first()
    )
    minutes = _int(request.POST.get("minutes"))
    try:
        if provider is None:
            raise ValidationFailed("Choose the provider who is running late.", field="provider")
        notice = services.provider_running_late(
            actor=_user(request), provider=provider, location=location, minutes=minutes or 0
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        return render(
            request, "visits/_late_result.html", {"errors": _errors_of(exc)}, status=_status(exc)
        )
    return _changed(
        request,
        f"Running late {notice.delay_minutes} min: {notice.patients_notified} patient(s) "
        f"notified ({notice.messages_sent} message(s)).",
    )


# --- metrics -------------------------------------------------------------------------------------


@requires(A.SCHEDULE_VIEW)
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    locations = _locations(request)
    location_id = _int(request.GET.get("location"))
    if location_id is not None and not locations.filter(pk=location_id).exists():
        raise Http404
    today = timezone.localdate()

    def parse(raw: Any, default: dt.date) -> dt.date:
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            return default

    end = parse(request.GET.get("end"), today)
    start = parse(request.GET.get("start"), end)
    error = ""
    if start > end:
        start, end, error = end, end, "The period's start was after its end; showing one day."
    if (end - start).days > 366:
        start, error = end - dt.timedelta(days=366), "Periods are limited to a year."
    result = selectors.flow_metrics(
        user=_user(request), start=start, end=end, location_id=location_id
    )
    return render(
        request,
        "visits/metrics.html",
        {
            "m": result,
            "locations": locations,
            "location_id": location_id,
            "error": error,
            "on_time_minutes": selectors.on_time_grace_minutes(),
        },
    )
