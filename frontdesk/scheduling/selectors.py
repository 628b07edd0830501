"""Reads of the scheduling app.

``slot_search`` lives in ``slots.py`` (loading) and ``availability.py`` (pure arithmetic); it is
re-exported here so callers import every scheduling read from one place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.queryset import get_restricted
from frontdesk.practice.models import Location
from frontdesk.scheduling.models import Appointment, AppointmentType, SlotHold
from frontdesk.scheduling.slots import SlotOption, slot_check, slot_search

__all__ = [
    "SlotOption",
    "appointment_get",
    "appointment_list",
    "appointment_type_list",
    "slot_check",
    "slot_hold_get",
    "slot_search",
]


# --------------------------------------------------------------------------------------------------
# Appointment reads (booking helper): scoped by location, audited when they show patients.


def appointment_type_list(*, user: Any) -> QuerySet[AppointmentType]:
    """Active appointment types (reference data, not PHI: not audited)."""
    return (
        AppointmentType.objects.restrict(user, "schedule.view")
        .filter(is_active=True)
        .prefetch_related("providers")
        .order_by("name", "pk")
    )


def appointment_list(*, user: Any, location_id: int, day: dt.date) -> list[Appointment]:
    """A location's appointments starting on one local day, in time order; one audit row (query)."""
    location = get_restricted(Location.objects.all(), user, "schedule.view", pk=location_id)
    tz = location.tzinfo
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    rows = list(
        Appointment.objects.restrict(user, "schedule.view")
        .filter(location=location, starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "pk")
    )
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        object_type="appointment",
        detail={"location_id": location.pk, "date": day.isoformat(), "results": len(rows)},
    )
    return rows


def appointment_get(*, user: Any, appointment_id: int, action: str) -> Appointment:
    """One appointment the user may act on (out of scope looks absent: NotFound)."""
    appointment: Appointment = get_restricted(
        Appointment.objects.select_related("appointment_type", "location", "provider", "patient"),
        user,
        action,
        pk=appointment_id,
    )
    return appointment


def slot_hold_get(*, user: Any, hold_id: int, action: str) -> SlotHold:
    hold: SlotHold = get_restricted(SlotHold.objects.all(), user, action, pk=hold_id)
    return hold
