"""Template change impact: which booked appointments a template or exception change left stranded.

Changing availability never moves or cancels appointments. After a change, this lists every ACTIVE
appointment in a date range that the availability rules would no longer allow (outside the
provider's windows, inside a block or time off, or in a window that no longer takes its type), so
someone can resolve each one (reschedule, cancel or accept it). Busy-time clashes between existing
appointments are not template problems and are not listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from frontdesk.practice.models import Location
from frontdesk.scheduling import availability as av
from frontdesk.scheduling.choices import ACTIVE_STATUSES
from frontdesk.scheduling.models import Appointment
from frontdesk.scheduling.slots import slot_check

# Verdicts that mean "the calendar no longer has room for this visit" (not: something else is there).
IMPACT_REASONS = frozenset(
    {av.OUTSIDE_AVAILABILITY, av.TYPE_NOT_ALLOWED, av.BLOCKED, av.RESERVED, av.OFF_GRID}
)


@dataclass(frozen=True)
class StrandedAppointment:
    appointment: Appointment
    reason: str


def template_change_impact(
    *, provider_id: int, location_id: int, date_from: dt.date, date_to: dt.date
) -> list[StrandedAppointment]:
    """Active appointments of the provider at the location, local dates ``date_from``..``date_to``
    inclusive, that the current availability would not allow; in time order, with the reason code."""
    location = Location.objects.get(pk=location_id)
    tz = location.tzinfo
    start = dt.datetime.combine(date_from, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    rows = (
        Appointment.objects.filter(
            provider_id=provider_id,
            location_id=location_id,
            status__in=ACTIVE_STATUSES,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("appointment_type")
        .order_by("starts_at", "pk")
    )
    stranded = []
    for appointment in rows:
        verdict = slot_check(
            provider_id=provider_id,
            location_id=location_id,
            appointment_type=appointment.appointment_type,
            starts_at=appointment.starts_at,
            # Judged as of its own start: a past visit is not "in the past" here and reserved
            # windows have been released by then.
            now=appointment.starts_at,
            exclude_appointment_id=appointment.pk,
        )
        if not verdict.ok and verdict.reason in IMPACT_REASONS:
            stranded.append(StrandedAppointment(appointment, verdict.reason))
    return stranded


__all__ = ["IMPACT_REASONS", "StrandedAppointment", "template_change_impact"]
