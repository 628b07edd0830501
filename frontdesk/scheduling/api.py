"""JSON API for scheduling: appointment types, appointments (book, list a day, cancel, reschedule), holds,
recurring series (preview, book, read, cancel with a scope) and linked bookings (all or nothing).

Thin, like the views: each operation names its policy action (``requires``), validates the body with a
strict schema, looks objects up scoped to the caller (out of scope = 404), calls one selector or service
(which audit), and shapes the answer. A time someone else just took answers 409 ``slot_taken``.
Answers carry ids, not names: a client resolves patients through the audited patient API.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import AwareDatetime

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import COMMON_ERRORS, READ_ERRORS, WRITE_ERRORS
from frontdesk.api.schemas import ID_PATH, MAX_ID, IdString, InputSchema, list_answer
from frontdesk.core.errors import Conflict, ValidationFailed
from frontdesk.core.queryset import get_restricted
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling import linked, selectors, series, services
from frontdesk.scheduling.choices import (
    AppointmentStatus,
    CancellationReason,
    CancelledBy,
    ConfirmationStatus,
    Modality,
    PatientKind,
)
from frontdesk.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    SlotHold,
)

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
    estimate_codes: str = Field(
        description="Procedure codes the visit is expected to bill (comma-separated, "
        '"x2" for units); empty: none planned.'
    )


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


class OccurrenceVerdictOut(Schema):
    """One date of a proposed series: free, or the reason it cannot be booked."""

    starts_at: dt.datetime
    free: bool
    code: str | None = Field(
        description="Why not (e.g. slot_taken, invalid, dst_gap); null if free."
    )
    message: str


class SeriesPreviewOut(Schema):
    """``preview: true``: every date the series would try; nothing was written."""

    preview: bool
    count: int
    free: int
    occurrences: list[OccurrenceVerdictOut]


class OccurrenceConflictOut(Schema):
    starts_at: dt.datetime
    code: str
    message: str
    appointment_id: str | None


class SeriesOut(Schema):
    id: str
    patient_id: str
    provider_id: str
    location_id: str
    appointment_type_id: str
    interval_weeks: int
    count: int = Field(description="Occurrences asked for (booked ones are in ``occurrences``).")
    occurrences: list[AppointmentOut]


class SeriesBookedOut(SeriesOut):
    conflicts: list[OccurrenceConflictOut] = Field(
        description="Every date that could not be booked, with the reason (none are hidden)."
    )


class SeriesCancelOut(Schema):
    series_id: str
    cancelled: list[AppointmentOut]
    unchanged: list[AppointmentOut] = Field(
        description="Occurrences in the scope left as they were (already cancelled, seen, no-show)."
    )


class LinkedOut(Schema):
    link_group: str
    appointments: list[AppointmentOut]


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


class SeriesCreateIn(InputSchema):
    """A weekly series: the first visit (like ``POST /api/v1/appointments``) and how it repeats."""

    patient_id: IdString
    appointment_type_id: IdString
    provider_id: IdString
    location_id: IdString
    first_start: AwareDatetime = Field(
        description="The first visit, ISO 8601 with an offset; later ones keep its local wall time."
    )
    interval_weeks: int = Field(1, description="Every 1 to 12 weeks.")
    count: int | None = Field(None, description="How many visits (1 to 52); or give ``until``.")
    until: dt.date | None = Field(None, description="The last date (location's calendar).")
    preview: bool = Field(False, description="Answer 200 with each date's verdict; write nothing.")
    all_or_nothing: bool = Field(False, description="Book nothing when any date has a conflict.")


class SeriesCancelIn(InputSchema):
    appointment_id: IdString = Field(description="The occurrence the scope starts from.")
    scope: Literal["this", "following", "all"]
    reason: CancellationReason
    cancelled_by: CancelledBy


class LinkedPartIn(InputSchema):
    appointment_type_id: IdString
    provider_id: IdString
    location_id: IdString
    starts_at: AwareDatetime


class LinkedCreateIn(InputSchema):
    """A visit and the appointment linked with it (e.g. a lab draw just before), one patient."""

    patient_id: IdString
    primary: LinkedPartIn
    linked: LinkedPartIn


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


def _series_answer(found: AppointmentSeries, rows: list[Appointment]) -> dict[str, Any]:
    return {
        "id": str(found.pk),
        "patient_id": str(found.patient_id),
        "provider_id": str(found.provider_id),
        "location_id": str(found.location_id),
        "appointment_type_id": str(found.appointment_type_id),
        "interval_weeks": found.interval_weeks,
        "count": found.count,
        "occurrences": [appointment_answer(row) for row in rows],
    }


def _conflict_answer(conflict: series.OccurrenceConflict) -> dict[str, Any]:
    return {
        "starts_at": conflict.starts_at,
        "code": conflict.code,
        "message": conflict.message,
        "appointment_id": _id(conflict.appointment_id),
    }


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


# --- Recurring series and linked bookings ----------------------------------------------------------

MSG_COUNT_OR_UNTIL = "Give either how many visits (count) or the last date (until)."
MSG_NOT_OCCURRENCE = "That appointment is not an occurrence of this series."


@router.post(
    "/appointment-series",
    auth=requires(A.APPOINTMENT_BOOK),
    response={200: SeriesPreviewOut, 201: SeriesBookedOut, **WRITE_ERRORS},
    summary="Preview or book a weekly series",
    operation_id="appointment_series_book",
)
def appointment_series_book(
    request: HttpRequest, payload: SeriesCreateIn
) -> Status[dict[str, Any]]:
    """``preview``: 200 with each date's verdict, nothing written. Otherwise 201 with the booked
    occurrences and every conflicting date; 409 ``series_not_booked`` when no date could be booked
    (``fields`` holds each date's reason)."""
    user = api_user(request)
    location = _lookup(Location, user, payload.location_id)
    if (payload.count is None) == (payload.until is None):
        raise ValidationFailed(MSG_COUNT_OR_UNTIL, field="count")
    count = payload.count
    if payload.until is not None:
        count = series.series_count_until(
            first_start=payload.first_start,
            until=payload.until,
            interval_weeks=payload.interval_weeks,
            tz=location.tzinfo,
        )
    assert count is not None
    args: dict[str, Any] = {
        "actor": user,
        "patient": _lookup(Patient, user, payload.patient_id),
        "provider": _lookup(Provider, user, payload.provider_id),
        "location": location,
        "appointment_type": _lookup(AppointmentType, user, payload.appointment_type_id),
        "first_start": payload.first_start,
        "interval_weeks": payload.interval_weeks,
        "count": count,
    }
    if payload.preview:
        verdicts = series.series_preview(**args)
        return Status(
            200,
            {
                "preview": True,
                "count": len(verdicts),
                "free": sum(1 for v in verdicts if v.is_free),
                "occurrences": [
                    {
                        "starts_at": v.starts_at,
                        "free": v.is_free,
                        "code": v.conflict.code if v.conflict else None,
                        "message": v.conflict.message if v.conflict else "",
                    }
                    for v in verdicts
                ],
            },
        )
    result = series.series_book(**args, all_or_nothing=payload.all_or_nothing)
    if result.series is None:
        raise Conflict(
            "No date of the series was booked.",
            code="series_not_booked",
            fields={c.starts_at.isoformat(): [c.message] for c in result.conflicts},
        )
    return Status(
        201,
        {
            **_series_answer(result.series, result.booked),
            "conflicts": [_conflict_answer(c) for c in result.conflicts],
        },
    )


@router.get(
    "/appointment-series/{series_id}",
    auth=requires(A.SCHEDULE_VIEW),
    response={200: SeriesOut, **READ_ERRORS},
    summary="Read a series and its occurrences",
    operation_id="appointment_series_get",
)
def appointment_series_get(
    request: HttpRequest, series_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    """The series and every occurrence row (any status), in time order; one audit row."""
    found, rows = series.series_read(user=api_user(request), series_id=series_id)
    return _series_answer(found, rows)


@router.post(
    "/appointment-series/{series_id}/cancel",
    auth=requires(A.APPOINTMENT_BOOK),
    response={200: SeriesCancelOut, **WRITE_ERRORS},
    summary="Cancel occurrences of a series",
    operation_id="appointment_series_cancel",
)
def appointment_series_cancel(
    request: HttpRequest, payload: SeriesCancelIn, series_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    """Cancel the occurrence ``appointment_id`` (``this``), it and the later ones (``following``) or
    every open one from today (``all``); atomically. ``unchanged`` lists the occurrences of the scope
    that were left as they were."""
    user = api_user(request)
    found = series.series_get(user=user, series_id=series_id, action=A.APPOINTMENT_BOOK)
    appointment = selectors.appointment_get(
        user=user, appointment_id=int(payload.appointment_id), action=A.APPOINTMENT_BOOK
    )
    if appointment.series_id != found.pk:
        raise ValidationFailed(MSG_NOT_OCCURRENCE, field="appointment_id")
    cancelled = series.series_cancel(
        actor=user,
        appointment=appointment,
        scope=payload.scope,
        reason=payload.reason,
        cancelled_by=payload.cancelled_by,
    )
    for row in cancelled:
        offer_freed_slot(row)
    done = {row.pk for row in cancelled}
    unchanged = []
    if payload.scope != "this":
        others = Appointment.objects.filter(series=found).exclude(pk__in=done)
        if payload.scope == "following":
            others = others.filter(starts_at__gte=appointment.starts_at)
        unchanged = list(others.order_by("starts_at", "pk"))
    return {
        "series_id": str(found.pk),
        "cancelled": [appointment_answer(row) for row in cancelled],
        "unchanged": [appointment_answer(row) for row in unchanged],
    }


@router.post(
    "/appointments/linked",
    auth=requires(A.APPOINTMENT_BOOK),
    response={201: LinkedOut, **WRITE_ERRORS},
    summary="Book a visit and its linked appointment together",
    operation_id="appointment_linked_book",
)
def appointment_linked_book(
    request: HttpRequest, payload: LinkedCreateIn
) -> Status[dict[str, Any]]:
    """Both or neither: 409 ``linked_item_failed`` names the part (``primary`` / ``linked``) that could
    not be booked, and nothing is written."""
    user = api_user(request)
    patient = _lookup(Patient, user, payload.patient_id)
    parts = [("primary", payload.primary), ("linked", payload.linked)]
    items = [
        (
            _lookup(Provider, user, part.provider_id),
            _lookup(Location, user, part.location_id),
            _lookup(AppointmentType, user, part.appointment_type_id),
            part.starts_at,
        )
        for _name, part in parts
    ]
    try:
        booked = linked.linked_book(actor=user, patient=patient, items=items)
    except linked.LinkedItemFailed as exc:
        name = parts[exc.item - 1][0]
        raise Conflict(
            f"The {name} appointment: {exc.cause_message} Nothing was booked.",
            code="linked_item_failed",
            fields={name: [exc.cause_message]},
        ) from None
    return Status(
        201,
        {
            "link_group": str(booked[0].link_group),
            "appointments": [appointment_answer(row) for row in booked],
        },
    )
