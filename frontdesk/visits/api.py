"""JSON API of the front desk's day: check a patient in, move them on the flow board, read the board.

Thin, like the views: each operation names its policy action, validates a strict body, looks the
appointment up scoped to the caller (another location's = 404), calls one service or selector (which
audit) and shapes the answer. Answers carry ids, not names (minimum necessary).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import READ_ERRORS, WRITE_ERRORS
from frontdesk.api.schemas import ID_PATH, MAX_ID, IdString, InputSchema
from frontdesk.core.queryset import get_restricted
from frontdesk.practice.models import Location, Room
from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.selectors import appointment_get
from frontdesk.visits import selectors, services
from frontdesk.visits.choices import FlowState, IdentityMethod

router = Router(tags=["front desk"])
LOCATION_QUERY = Query(..., ge=1, le=MAX_ID, description="The location's id.")
DATE_QUERY = Query(None, description="The day (default today, in the location's timezone).")
PROVIDER_QUERY = Query(None, ge=1, le=MAX_ID, description="Only this provider's patients.")


class CheckInIn(InputSchema):
    identity_confirmed: bool = Field(description="The desk confirmed who the patient is.")
    identity_method: IdentityMethod
    demographics_confirmed: bool = False
    changed_fields: list[str] = Field(default_factory=list, max_length=20)
    insurance_confirmed: bool = False
    self_pay: bool = False
    override_reason: str = Field(
        "", max_length=200, description="Manager only: check in without active insurance."
    )
    note: str = Field("", max_length=500)


class CheckInOut(Schema):
    id: str
    appointment_id: str
    appointment_status: AppointmentStatus
    state: FlowState
    checked_in_at: dt.datetime
    identity_method: IdentityMethod
    demographics_confirmed: bool
    changed_fields: list[str]
    insurance_confirmed: bool
    coverage_id: str | None
    verification_id: str | None
    copay_due: Decimal | None
    self_pay: bool
    insurance_override: bool


class FlowIn(InputSchema):
    state: FlowState
    room_id: IdString | None = Field(None, description="Required when the state is roomed.")
    reason: str = Field("", max_length=200, description="Required to move backwards.")


class VisitOut(Schema):
    appointment_id: str
    appointment_status: AppointmentStatus
    state: FlowState
    state_since: dt.datetime
    room_id: str | None
    arrived_at: dt.datetime | None
    roomed_at: dt.datetime | None
    checkout_at: dt.datetime | None
    done_at: dt.datetime | None


class BoardCardOut(Schema):
    appointment_id: str
    provider_id: str
    starts_at: dt.datetime
    appointment_status: AppointmentStatus
    state: FlowState
    room_id: str | None
    minutes_in_state: int
    total_wait_minutes: int | None
    level: str = Field(description='"", "amber" or "red": time in state past the thresholds.')


class BoardRoomOut(Schema):
    room_id: str
    name: str
    appointment_id: str | None
    since: dt.datetime | None


class BoardOut(Schema):
    location_id: str
    date: dt.date
    version: str = Field(description="Changes whenever the board does (cheap polling).")
    items: list[BoardCardOut]
    count: int
    rooms: list[BoardRoomOut]


def _id(value: Any) -> str | None:
    return None if value is None else str(value)


def _visit_answer(visit: Any, status: str) -> dict[str, Any]:
    return {
        "appointment_id": str(visit.appointment_id),
        "appointment_status": status,
        "state": visit.state,
        "state_since": visit.state_since,
        "room_id": _id(visit.room_id),
        "arrived_at": visit.arrived_at,
        "roomed_at": visit.roomed_at,
        "checkout_at": visit.checkout_at,
        "done_at": visit.done_at,
    }


@router.post(
    "/appointments/{appointment_id}/check-in",
    auth=requires(A.APPOINTMENT_CHECK_IN),
    response={201: CheckInOut, **WRITE_ERRORS},
    summary="Check a patient in",
    operation_id="appointment_check_in",
)
def appointment_check_in(
    request: HttpRequest, payload: CheckInIn, appointment_id: int = Path(..., **ID_PATH)
) -> Status[dict[str, Any]]:
    """Check in today's appointment; 409 when cancelled, a no-show or already checked in; 400 when
    there is no active insurance and the visit is neither self-pay nor overridden by a manager."""
    user = api_user(request)
    appointment = appointment_get(
        user=user, appointment_id=appointment_id, action=A.APPOINTMENT_CHECK_IN
    )
    check = services.visit_check_in(
        actor=user,
        appointment=appointment,
        data=services.CheckInInput(
            identity_confirmed=payload.identity_confirmed,
            identity_method=payload.identity_method,
            demographics_confirmed=payload.demographics_confirmed,
            changed_fields=tuple(payload.changed_fields),
            insurance_confirmed=payload.insurance_confirmed,
            self_pay=payload.self_pay,
            override_reason=payload.override_reason,
            note=payload.note,
        ),
    )
    return Status(
        201,
        {
            "id": str(check.pk),
            "appointment_id": str(appointment.pk),
            "appointment_status": appointment.status,
            "state": check.visit.state,
            "checked_in_at": check.checked_in_at,
            "identity_method": check.identity_method,
            "demographics_confirmed": check.demographics_confirmed,
            "changed_fields": check.changed_fields,
            "insurance_confirmed": check.insurance_confirmed,
            "coverage_id": _id(check.coverage_id),
            "verification_id": _id(check.verification_id),
            "copay_due": check.copay_due,
            "self_pay": check.is_self_pay,
            "insurance_override": bool(check.override_reason),
        },
    )


@router.post(
    "/appointments/{appointment_id}/flow",
    auth=requires(A.FLOW_MANAGE),
    response={200: VisitOut, **WRITE_ERRORS},
    summary="Move a patient on the flow board",
    operation_id="appointment_flow_move",
)
def appointment_flow_move(
    request: HttpRequest, payload: FlowIn, appointment_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    """Move a checked-in patient to a state (with ``room_id`` when roomed; a ``reason`` to go back);
    409 ``room_occupied`` when the room holds another patient. Repeating a move changes nothing."""
    user = api_user(request)
    appointment = appointment_get(user=user, appointment_id=appointment_id, action=A.FLOW_MANAGE)
    room = None
    if payload.room_id is not None:
        room = get_restricted(Room.objects.all(), user, A.FLOW_MANAGE, pk=int(payload.room_id))
    visit = services.flow_move(
        actor=user,
        appointment=appointment,
        to_state=payload.state,
        room=room,
        reason=payload.reason,
    )
    return _visit_answer(visit, appointment.status)


@router.get(
    "/flow-board",
    auth=requires(A.SCHEDULE_VIEW),
    response={200: BoardOut, **READ_ERRORS},
    summary="Read a location's flow board",
    operation_id="flow_board",
)
def flow_board(
    request: HttpRequest,
    location: int = LOCATION_QUERY,
    date: dt.date | None = DATE_QUERY,
    provider: int | None = PROVIDER_QUERY,
) -> dict[str, Any]:
    """Every patient of the day by flow state, with time in state, total wait and the rooms."""
    user = api_user(request)
    place = get_restricted(Location.objects.all(), user, A.SCHEDULE_VIEW, pk=location)
    day = date or timezone.now().astimezone(place.tzinfo).date()
    board = selectors.flow_board(user=user, location_id=place.pk, day=day, provider_id=provider)
    items = [
        {
            "appointment_id": str(c.appointment_id),
            "provider_id": str(c.provider_id),
            "starts_at": c.starts_at,
            "appointment_status": c.status,
            "state": c.state,
            "room_id": _id(c.room_id),
            "minutes_in_state": c.minutes_in_state,
            "total_wait_minutes": c.total_wait,
            "level": c.level,
        }
        for c in board.cards
    ]
    return {
        "location_id": str(place.pk),
        "date": day,
        "version": board.version,
        "items": items,
        "count": len(items),
        "rooms": [
            {
                "room_id": str(r.room.pk),
                "name": r.room.name,
                "appointment_id": _id(r.card.appointment_id if r.card else None),
                "since": r.card.state_since if r.card else None,
            }
            for r in board.rooms
        ],
    }
