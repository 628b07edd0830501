"""JSON API for scheduling: appointment types, appointments (book, list a day, cancel, reschedule), holds.

Thin, like the views: each operation names its policy action (``requires``), validates the body with a
strict schema, looks objects up scoped to the caller (out of scope = 404), calls one selector or service
(which audit), and shapes the answer. A time someone else just took answers 409 ``slot_taken``.
Answers carry ids, not names: a client resolves patients through the audited patient API.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import AwareDatetime

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import COMMON_ERRORS, READ_ERRORS, WRITE_ERRORS
from frontdesk.api.schemas import ID_PATH, MAX_ID, IdString, InputSchema, list_answer
from frontdesk.core.queryset import get_restricted
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling import selectors, services
from frontdesk.scheduling.choices import (
    AppointmentStatus,
    CancellationReason,
    CancelledBy,
    ConfirmationStatus,
    Modality,
    PatientKind,
)
from frontdesk.scheduling.models import Appointment, AppointmentType, SlotHold

logger = logging.getLogger(__name__)
router = Router(tags=["scheduling"])
LOCATION_QUERY = Query(..., ge=1, le=MAX_ID, description="The location's id.")
DATE_QUERY = Query(..., description="The day, in the location's timezone (YYYY-MM-DD).")
TYPE_QUERY = Query(..., ge=1, le=MAX_ID, description="The appointment type's id.")
START_QUERY = Query(..., description="Search from (ISO 8601 with an offset).")
END_QUERY = Query(..., description="Search until (ISO 8601 with an offset).")
PROVIDER_QUERY = Query(None, ge=1, le=MAX_ID, description="One provider; default any who can.")
OPTIONAL_LOCATION_QUERY = Query(None, ge=1, le=MAX_ID, description="One location; default all.")
LIMIT_QUERY = Query(10, ge=1, le=100, description="How many options, earliest first.")


# --- Answers ---------------------------------------------------------------------------------------


class AppointmentTypeOut(Schema):
    id: str
    name: str
    code: str
    duration_minutes: int
    color: str
    patient_kind: PatientKind
    modality: Modality
    provider_ids: list[str] = Field(description="Empty: any provider of a listed specialty.")
    specialties: list[str]
    required_room_kind: str
    required_equipment_kind: str
    buffer_before_minutes: int
    buffer_after_minutes: int
    daily_cap_per_provider: int | None
    instructions: str
    requires_referral: bool
    requires_prior_auth: bool


class AppointmentTypeList(Schema):
    items: list[AppointmentTypeOut]
    count: int


class AppointmentOut(Schema):
    id: str
    patient_id: str
    provider_id: str
    location_id: str
    appointment_type_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: AppointmentStatus
    room_id: str | None
    equipment_id: str | None
    is_overbook: bool
    cancellation_reason: str
    cancelled_by: str
    is_late_cancel: bool
    confirmation_status: ConfirmationStatus
    created_at: dt.datetime
    updated_at: dt.datetime


class AppointmentList(Schema):
    items: list[AppointmentOut]
    count: int


class SlotOut(Schema):
    """One open option: exactly the fields ``POST /api/v1/appointments`` takes, plus the end."""

    appointment_type_id: str
    provider_id: str
    location_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    room_id: str | None
    equipment_id: str | None


class SlotList(Schema):
    items: list[SlotOut]
    count: int


class HoldOut(Schema):
    id: str
    provider_id: str
    location_id: str
    appointment_type_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    expires_at: dt.datetime
    released_at: dt.datetime | None


# --- Request bodies --------------------------------------------------------------------------------


class AppointmentCreateIn(InputSchema):
    """What ``GET /api/v1/slots`` answers per option, plus the patient."""

    patient_id: IdString
    appointment_type_id: IdString
    provider_id: IdString
    location_id: IdString
    starts_at: AwareDatetime = Field(
        description="ISO 8601 with an offset, e.g. 2026-12-07T09:00-05:00."
    )
    overbook_reason: str = Field("", max_length=200, description="Only to overbook (permission).")
    hold_id: IdString | None = Field(None, description="The caller's own hold on this slot.")
    idempotency_key: str = Field(
        "", max_length=80, description="Resending the same key returns the first booking."
    )
    patient_kind_override_reason: str = Field(
        "",
        max_length=200,
        description=(
            "Why a new-patient type is booked for an established patient (or the reverse); "
            "without it such a booking is refused (400 patient_not_new / patient_not_established)."
        ),
    )


class RescheduleIn(InputSchema):
    starts_at: AwareDatetime
    provider_id: IdString | None = None
    location_id: IdString | None = None


class CancelIn(InputSchema):
    reason: CancellationReason
    cancelled_by: CancelledBy


class HoldIn(InputSchema):
    appointment_type_id: IdString
    provider_id: IdString
    location_id: IdString
    starts_at: AwareDatetime
    minutes: int = Field(5, ge=1, le=30)


# --- Shaping and lookups ---------------------------------------------------------------------------


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


def appointment_answer(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": str(appointment.pk),
        "patient_id": str(appointment.patient_id),
        "provider_id": str(appointment.provider_id),
        "location_id": str(appointment.location_id),
        "appointment_type_id": str(appointment.appointment_type_id),
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "status": appointment.status,
        "room_id": _id(appointment.room_id),
        "equipment_id": _id(appointment.equipment_id),
        "is_overbook": appointment.is_overbook,
        "cancellation_reason": appointment.cancellation_reason,
        "cancelled_by": appointment.cancelled_by,
        "is_late_cancel": appointment.is_late_cancel,
        "confirmation_status": appointment.confirmation_status,
        "created_at": appointment.created_at,
        "updated_at": appointment.updated_at,
    }


def _hold_answer(hold: SlotHold) -> dict[str, Any]:
    return {
        "id": str(hold.pk),
        "provider_id": str(hold.provider_id),
        "location_id": str(hold.location_id),
        "appointment_type_id": str(hold.appointment_type_id),
        "starts_at": hold.starts_at,
        "ends_at": hold.ends_at,
        "expires_at": hold.expires_at,
        "released_at": hold.released_at,
    }


def offer_freed_slot(appointment: Appointment) -> None:
    """Offer a just-cancelled time to the waitlist (the interface orchestrates; no signals).

    The cancellation has committed by now; a failure while making offers must not turn a
    successful cancellation into an error, so it is logged (ids only) and the answer stands.
    """
    from frontdesk.waitlist.services import waitlist_slot_opened

    try:
        waitlist_slot_opened(
            provider_id=appointment.provider_id,
            location_id=appointment.location_id,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
        )
    except Exception as exc:  # the type only: exception text may carry patient details
        logger.error(
            "waitlist_offer_failed appointment_id=%s type=%s", appointment.pk, type(exc).__name__
        )


def _lookup(model: Any, user: Any, pk: str | int) -> Any:
    """An object the caller may book with, or 404 (out of scope looks absent)."""
    return get_restricted(model.objects.all(), user, A.APPOINTMENT_BOOK, pk=int(pk))


# --- Operations ------------------------------------------------------------------------------------


@router.get(
    "/appointment-types",
    auth=requires(A.SCHEDULE_VIEW),
    response={200: AppointmentTypeList, **COMMON_ERRORS},
    summary="List appointment types",
    operation_id="appointment_type_list",
)
def appointment_type_list(request: HttpRequest) -> dict[str, Any]:
    """Every active appointment type with what it needs (reference data, not audited)."""
    items = []
    for kind in selectors.appointment_type_list(user=api_user(request)):
        items.append(
            {
                "id": str(kind.pk),
                **{
                    name: getattr(kind, name)
                    for name in AppointmentTypeOut.model_fields
                    if name not in {"id", "provider_ids"}
                },
                "provider_ids": sorted((str(p.pk) for p in kind.providers.all()), key=int),
            }
        )
    return list_answer(items)


@router.get(
    "/slots",
    auth=requires(A.SCHEDULE_VIEW),
    response={200: SlotList, **READ_ERRORS},
    summary="Find open slots for an appointment type",
    operation_id="slot_search",
)
def slot_search(
    request: HttpRequest,
    appointment_type: int = TYPE_QUERY,
    start: AwareDatetime = START_QUERY,
    end: AwareDatetime = END_QUERY,
    provider: int | None = PROVIDER_QUERY,
    location: int | None = OPTIONAL_LOCATION_QUERY,
    limit: int = LIMIT_QUERY,
) -> dict[str, Any]:
    """The first ``limit`` open options, ranked earliest first (availability, holds, rooms, caps)."""
    options = selectors.slot_search(
        user=api_user(request),
        appointment_type_id=appointment_type,
        provider_ids=[provider] if provider else None,
        location_ids=[location] if location else None,
        start=start,
        end=end,
        limit=limit,
    )
    return list_answer(
        [
            {
                "appointment_type_id": str(option.appointment_type_id),
                "provider_id": str(option.provider_id),
                "location_id": str(option.location_id),
                "starts_at": option.starts_at,
                "ends_at": option.ends_at,
                "room_id": _id(option.room_id),
                "equipment_id": _id(option.equipment_id),
            }
            for option in options
        ]
    )


@router.get(
    "/appointments",
    auth=requires(A.SCHEDULE_VIEW),
    response={200: AppointmentList, **READ_ERRORS},
    summary="List a location's appointments on one day",
    operation_id="appointment_list",
)
def appointment_list(
    request: HttpRequest,
    location: int = LOCATION_QUERY,
    date: dt.date = DATE_QUERY,
) -> dict[str, Any]:
    """Appointments starting that local day, in time order (audited as one query)."""
    rows = selectors.appointment_list(user=api_user(request), location_id=location, day=date)
    return list_answer([appointment_answer(row) for row in rows])


@router.post(
    "/appointments",
    auth=requires(A.APPOINTMENT_BOOK),
    response={201: AppointmentOut, **WRITE_ERRORS},
    summary="Book an appointment",
    operation_id="appointment_book",
)
def appointment_book(request: HttpRequest, payload: AppointmentCreateIn) -> Status[dict[str, Any]]:
    """Book; 409 ``slot_taken`` when someone else took the time first."""
    user = api_user(request)
    appointment = services.appointment_book(
        actor=user,
        patient=_lookup(Patient, user, payload.patient_id),
        provider=_lookup(Provider, user, payload.provider_id),
        location=_lookup(Location, user, payload.location_id),
        appointment_type=_lookup(AppointmentType, user, payload.appointment_type_id),
        starts_at=payload.starts_at,
        overbook_reason=payload.overbook_reason,
        hold_id=int(payload.hold_id) if payload.hold_id else None,
        idempotency_key=payload.idempotency_key,
        patient_kind_override_reason=payload.patient_kind_override_reason,
    )
    return Status(201, appointment_answer(appointment))


@router.post(
    "/appointments/{appointment_id}/cancel",
    auth=requires(A.APPOINTMENT_BOOK),
    response={200: AppointmentOut, **WRITE_ERRORS},
    summary="Cancel an appointment",
    operation_id="appointment_cancel",
)
def appointment_cancel(
    request: HttpRequest, payload: CancelIn, appointment_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    """Cancel with a reason code and who cancelled; a late patient cancellation is flagged."""
    user = api_user(request)
    appointment = selectors.appointment_get(
        user=user, appointment_id=appointment_id, action=A.APPOINTMENT_BOOK
    )
    cancelled = services.appointment_cancel(
        actor=user,
        appointment=appointment,
        reason=payload.reason,
        cancelled_by=payload.cancelled_by,
    )
    offer_freed_slot(cancelled)
    return appointment_answer(cancelled)


@router.post(
    "/appointments/{appointment_id}/reschedule",
    auth=requires(A.APPOINTMENT_BOOK),
    response={200: AppointmentOut, **WRITE_ERRORS},
    summary="Move an appointment",
    operation_id="appointment_reschedule",
)
def appointment_reschedule(
    request: HttpRequest, payload: RescheduleIn, appointment_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    """Move to a new start (optionally another provider or location); 409 when the time is taken."""
    user = api_user(request)
    appointment = selectors.appointment_get(
        user=user, appointment_id=appointment_id, action=A.APPOINTMENT_BOOK
    )
    moved = services.appointment_reschedule(
        actor=user,
        appointment=appointment,
        starts_at=payload.starts_at,
        provider=_lookup(Provider, user, payload.provider_id) if payload.provider_id else None,
        location=_lookup(Location, user, payload.location_id) if payload.location_id else None,
    )
    return appointment_answer(moved)


@router.post(
    "/holds",
    auth=requires(A.APPOINTMENT_BOOK),
    response={201: HoldOut, **WRITE_ERRORS},
    summary="Hold a slot for a few minutes",
    operation_id="slot_hold",
)
def slot_hold(request: HttpRequest, payload: HoldIn) -> Status[dict[str, Any]]:
    """Hold a slot (default 5 minutes) while a caller decides; it blocks everyone else meanwhile."""
    user = api_user(request)
    hold = services.slot_hold(
        actor=user,
        provider=_lookup(Provider, user, payload.provider_id),
        location=_lookup(Location, user, payload.location_id),
        appointment_type=_lookup(AppointmentType, user, payload.appointment_type_id),
        starts_at=payload.starts_at,
        minutes=payload.minutes,
    )
    return Status(201, _hold_answer(hold))


@router.post(
    "/holds/{hold_id}/release",
    auth=requires(A.APPOINTMENT_BOOK),
    response={200: HoldOut, **WRITE_ERRORS},
    summary="Release a hold early",
    operation_id="slot_hold_release",
)
def slot_hold_release(request: HttpRequest, hold_id: int = Path(..., **ID_PATH)) -> dict[str, Any]:
    """Give a hold back before it expires (releasing twice is harmless)."""
    user = api_user(request)
    hold = selectors.slot_hold_get(user=user, hold_id=hold_id, action=A.APPOINTMENT_BOOK)
    services.slot_hold_release(actor=user, hold=hold)
    return _hold_answer(hold)
