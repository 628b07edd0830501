"""JSON API for the waitlist: entries (list, add, cancel) and offers (list, accept on a patient's behalf).

Thin: each operation names its policy action, validates a strict body, looks objects up scoped to the
caller (out of scope = 404), calls one selector or service (which audit) and shapes the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import READ_ERRORS, WRITE_ERRORS
from frontdesk.api.schemas import ID_PATH, IdString, InputSchema, list_answer
from frontdesk.core.queryset import get_restricted
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling.models import Appointment, AppointmentType
from frontdesk.waitlist import selectors, services
from frontdesk.waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer

router = Router(tags=["waitlist"])
ENTRY_STATUS_QUERY = Query(None, description="Only entries in this status.")
OFFER_STATUS_QUERY = Query(None, description="Only offers in this status.")


class WaitlistEntryOut(Schema):
    id: str
    patient_id: str
    location_id: str
    appointment_type_id: str
    provider_ids: list[str]
    location_ids: list[str]
    weekdays: list[int]
    earliest_time: dt.time | None
    latest_time: dt.time | None
    available_from: dt.date | None
    wanted_before: dt.date | None
    current_appointment_id: str | None
    priority: int
    status: EntryStatus
    note: str
    created_at: dt.datetime


class WaitlistEntryList(Schema):
    items: list[WaitlistEntryOut]
    count: int


class WaitlistOfferOut(Schema):
    id: str
    entry_id: str
    patient_id: str
    provider_id: str
    location_id: str
    appointment_type_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    rank: int
    status: OfferStatus
    created_at: dt.datetime
    expires_at: dt.datetime
    responded_at: dt.datetime | None
    delivery: str
    appointment_id: str | None


class WaitlistOfferList(Schema):
    items: list[WaitlistOfferOut]
    count: int


class WaitlistEntryIn(InputSchema):
    patient_id: IdString
    location_id: IdString = Field(description="Where the entry is taken (staff there manage it).")
    appointment_type_id: IdString
    provider_ids: list[IdString] = Field(default_factory=list, max_length=50)
    location_ids: list[IdString] = Field(default_factory=list, max_length=50)
    weekdays: list[int] = Field(default_factory=list, max_length=7, description="0 = Monday.")
    earliest_time: dt.time | None = None
    latest_time: dt.time | None = None
    available_from: dt.date | None = None
    wanted_before: dt.date | None = Field(None, description="How soon: before this date.")
    current_appointment_id: IdString | None = Field(
        None, description="The later appointment to move from (cancelled when an offer is taken)."
    )
    priority: int = Field(0, ge=0, le=9)
    note: str = Field("", max_length=200, description="Scheduling notes only; nothing clinical.")


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


def entry_answer(entry: WaitlistEntry) -> dict[str, Any]:
    return {
        "id": str(entry.pk),
        "patient_id": str(entry.patient_id),
        "location_id": str(entry.location_id),
        "appointment_type_id": str(entry.appointment_type_id),
        "provider_ids": sorted((str(p.pk) for p in entry.providers.all()), key=int),
        "location_ids": sorted((str(loc.pk) for loc in entry.locations.all()), key=int),
        "weekdays": list(entry.weekdays),
        "earliest_time": entry.earliest_time,
        "latest_time": entry.latest_time,
        "available_from": entry.available_from,
        "wanted_before": entry.wanted_before,
        "current_appointment_id": _id(entry.current_appointment_id),
        "priority": entry.priority,
        "status": entry.status,
        "note": entry.note,
        "created_at": entry.created_at,
    }


def offer_answer(offer: WaitlistOffer) -> dict[str, Any]:
    return {
        "id": str(offer.pk),
        "entry_id": str(offer.entry_id),
        "patient_id": str(offer.entry.patient_id),
        "provider_id": str(offer.provider_id),
        "location_id": str(offer.location_id),
        "appointment_type_id": str(offer.appointment_type_id),
        "starts_at": offer.starts_at,
        "ends_at": offer.ends_at,
        "rank": offer.rank,
        "status": offer.status,
        "created_at": offer.created_at,
        "expires_at": offer.expires_at,
        "responded_at": offer.responded_at,
        "delivery": offer.delivery,
        "appointment_id": _id(offer.appointment_id),
    }


def _lookup(model: Any, user: Any, pk: str | int) -> Any:
    return get_restricted(model.objects.all(), user, A.WAITLIST_MANAGE, pk=int(pk))


@router.get(
    "/waitlist-entries",
    auth=requires(A.WAITLIST_MANAGE),
    response={200: WaitlistEntryList, **READ_ERRORS},
    summary="List waitlist entries",
    operation_id="waitlist_entry_list",
)
def waitlist_entry_list(
    request: HttpRequest,
    status: EntryStatus | None = ENTRY_STATUS_QUERY,
) -> dict[str, Any]:
    """Entries at the caller's locations, longest waiting first (audited as one query)."""
    rows = selectors.waitlist_entry_list(user=api_user(request), status=status)
    return list_answer([entry_answer(row) for row in rows])


@router.post(
    "/waitlist-entries",
    auth=requires(A.WAITLIST_MANAGE),
    response={201: WaitlistEntryOut, **WRITE_ERRORS},
    summary="Put a patient on the waitlist",
    operation_id="waitlist_entry_create",
)
def waitlist_entry_create(request: HttpRequest, payload: WaitlistEntryIn) -> Status[dict[str, Any]]:
    """Add an entry with preferences (blank lists mean any provider / location / day)."""
    user = api_user(request)
    entry = services.waitlist_entry_create(
        actor=user,
        patient=_lookup(Patient, user, payload.patient_id),
        location=_lookup(Location, user, payload.location_id),
        appointment_type=_lookup(AppointmentType, user, payload.appointment_type_id),
        providers=[_lookup(Provider, user, pk) for pk in payload.provider_ids],
        locations=[_lookup(Location, user, pk) for pk in payload.location_ids],
        weekdays=payload.weekdays,
        earliest_time=payload.earliest_time,
        latest_time=payload.latest_time,
        available_from=payload.available_from,
        wanted_before=payload.wanted_before,
        current_appointment=(
            _lookup(Appointment, user, payload.current_appointment_id)
            if payload.current_appointment_id
            else None
        ),
        priority=payload.priority,
        note=payload.note,
    )
    return Status(201, entry_answer(entry))


@router.post(
    "/waitlist-entries/{entry_id}/cancel",
    auth=requires(A.WAITLIST_MANAGE),
    response={200: WaitlistEntryOut, **WRITE_ERRORS},
    summary="Take a patient off the waitlist",
    operation_id="waitlist_entry_cancel",
)
def waitlist_entry_cancel(
    request: HttpRequest, entry_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    """Cancel the entry; an open offer to the patient is withdrawn."""
    user = api_user(request)
    entry = selectors.waitlist_entry_get(user=user, entry_id=entry_id)
    return entry_answer(services.waitlist_entry_cancel(actor=user, entry=entry))


@router.get(
    "/waitlist-offers",
    auth=requires(A.WAITLIST_MANAGE),
    response={200: WaitlistOfferList, **READ_ERRORS},
    summary="List waitlist offers and their outcomes",
    operation_id="waitlist_offer_list",
)
def waitlist_offer_list(
    request: HttpRequest,
    status: OfferStatus | None = OFFER_STATUS_QUERY,
) -> dict[str, Any]:
    """Every offer at the caller's locations, newest first (audited as one query)."""
    rows = selectors.waitlist_offer_list(user=api_user(request), status=status)
    return list_answer([offer_answer(row) for row in rows])


@router.post(
    "/waitlist-offers/{offer_id}/accept",
    auth=requires(A.WAITLIST_MANAGE),
    response={200: WaitlistOfferOut, **WRITE_ERRORS},
    summary="Accept an offer on the patient's behalf",
    operation_id="waitlist_offer_accept",
)
def waitlist_offer_accept(
    request: HttpRequest, offer_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    """Book the offered time; 409 ``slot_taken`` / ``offer_gone`` when someone else got it first,
    409 ``offer_expired`` when the offer ran out."""
    user = api_user(request)
    offer = selectors.waitlist_offer_get(user=user, offer_id=offer_id)
    return offer_answer(services.waitlist_offer_accept(offer=offer, actor=user))
