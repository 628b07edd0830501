"""Reads of the waitlist, scoped by location and audited (they show patients)."""

from __future__ import annotations

from typing import Any

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.queryset import get_restricted
from frontdesk.waitlist.models import WaitlistEntry, WaitlistOffer

LIST_LIMIT = 500


def waitlist_entry_list(*, user: Any, status: str | None = None) -> list[WaitlistEntry]:
    """Entries the user may manage (newest last), optionally one status; one audit row (query)."""
    rows = (
        WaitlistEntry.objects.restrict(user, A.WAITLIST_MANAGE)
        .prefetch_related("providers", "locations")
        .order_by("created_at", "pk")
    )
    if status:
        rows = rows.filter(status=status)
    result = list(rows[:LIST_LIMIT])
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        object_type="waitlist_entry",
        detail={"status": status or "", "results": len(result)},
    )
    return result


def waitlist_entry_get(*, user: Any, entry_id: int) -> WaitlistEntry:
    entry: WaitlistEntry = get_restricted(
        WaitlistEntry.objects.select_related("location"), user, A.WAITLIST_MANAGE, pk=entry_id
    )
    return entry


def waitlist_offer_list(*, user: Any, status: str | None = None) -> list[WaitlistOffer]:
    """Every offer the user may see (newest first) with its outcome; one audit row (query)."""
    rows = (
        WaitlistOffer.objects.restrict(user, A.WAITLIST_MANAGE)
        .select_related("entry")
        .order_by("-created_at", "rank", "pk")
    )
    if status:
        rows = rows.filter(status=status)
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
