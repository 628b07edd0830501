"""Reads of the waitlist, scoped by location and audited (they show patients)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.queryset import get_restricted
from frontdesk.waitlist.models import WaitlistEntry, WaitlistOffer

LIST_LIMIT = 500


def waitlist_entry_list(
    *,
    user: Any,
    status: str | Sequence[str] | None = None,
    location_id: int | None = None,
    appointment_type_id: int | None = None,
    patient_id: int | None = None,
) -> list[WaitlistEntry]:
    """Entries the user may manage (longest waiting first), optionally narrowed by status (one or
    several), location, appointment type or patient; one audit row (query)."""
    rows = (
        WaitlistEntry.objects.restrict(user, A.WAITLIST_MANAGE)
        .select_related("patient", "location", "appointment_type", "current_appointment")
        .prefetch_related("providers", "locations")
        .order_by("created_at", "pk")
    )
    if isinstance(status, str) and status:
        rows = rows.filter(status=status)
    elif status:
        rows = rows.filter(status__in=list(status))
    if location_id is not None:
        rows = rows.filter(location_id=location_id)
    if appointment_type_id is not None:
        rows = rows.filter(appointment_type_id=appointment_type_id)
    if patient_id is not None:
        rows = rows.filter(patient_id=patient_id)
    result = list(rows[:LIST_LIMIT])
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        object_type="waitlist_entry",
        detail={
            "status": status if isinstance(status, str) else ",".join(status or ()),
            "results": len(result),
        },
    )
    return result


def waitlist_entry_get(*, user: Any, entry_id: int) -> WaitlistEntry:
    entry: WaitlistEntry = get_restricted(
        WaitlistEntry.objects.select_related("location"), user, A.WAITLIST_MANAGE, pk=entry_id
    )
    return entry


def waitlist_offer_list(
    *, user: Any, status: str | None = None, day: dt.date | None = None
) -> list[WaitlistOffer]:
    """Every offer the user may see (newest first) with its outcome, optionally one status or the
    offers made on one day (UTC date of creation); one audit row (query)."""
    rows = (
        WaitlistOffer.objects.restrict(user, A.WAITLIST_MANAGE)
        .select_related("entry", "entry__patient", "provider", "location", "appointment_type")
        .order_by("-created_at", "rank", "pk")
    )
    if status:
        rows = rows.filter(status=status)
    if day is not None:
        rows = rows.filter(created_at__date=day)
    result = list(rows[:LIST_LIMIT])
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        object_type="waitlist_offer",
        detail={"status": status or "", "results": len(result)},
    )
    return result


def waitlist_offer_get(*, user: Any, offer_id: int) -> WaitlistOffer:
    offer: WaitlistOffer = get_restricted(
        WaitlistOffer.objects.select_related("location"), user, A.WAITLIST_MANAGE, pk=offer_id
    )
    return offer


def waitlist_offer_for_token(*, token: str) -> WaitlistOffer | None:
    """The offer a patient's link names, or None (the public page answers 404 then).

    Not scoped to a user: the unguessable token (192 random bits) is the patient's authority.
    """
    if not token or len(token) > 40:
        return None
    return (
        WaitlistOffer.objects.select_related("entry__patient", "provider", "location")
        .filter(token=token)
        .first()
    )
