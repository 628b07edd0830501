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
from frontdesk.scheduling.models import Appointment, AppointmentType
from frontdesk.scheduling.slots import (
    _eligible_pairs,
    _exceptions_for,
    _load_exceptions,
    _load_rules,
    grid_minutes,
    type_spec,
)

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
    inclusive, that the current availability would not allow; in time order, with the reason code.

    Each appointment gets the verdict ``slots.slot_check`` would give it, judged as of its own start
    (a past visit is not "in the past" here and reserved windows have been released by then), but
    the calendar is read once for the whole range: templates, time off, and one eligibility check
    per appointment type, instead of a handful of queries per appointment (a settings change looks
    up to 180 days ahead, thousands of visits for a busy provider). Busy time, holds, daily caps and
    rooms are left out: ``is_bookable`` checks every reason in ``IMPACT_REASONS`` before them, so
    they cannot change which appointments are listed.
    """
    location = Location.objects.get(pk=location_id)
    tz = location.tzinfo
    start = dt.datetime.combine(date_from, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    rows = list(
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
    if not rows:
        return []
    pair = (provider_id, location_id)
    rules = _load_rules(
        [pair], date_from - dt.timedelta(days=2), date_to + dt.timedelta(days=2)
    ).get(pair, [])
    footprints = [type_spec(a.appointment_type).footprint(a.starts_at) for a in rows]
    exceptions = _exceptions_for(
        _load_exceptions(
            {provider_id},
            {location_id},
            min(f.start for f in footprints),
            max(f.end for f in footprints),
        ),
        provider_id,
        location_id,
    )
    calendar = av.ProviderCalendar(provider_id, location_id, tz, rules, exceptions)
    grid = grid_minutes()
    eligible: dict[int, bool] = {}
    stranded = []
    for appointment in rows:
        kind: AppointmentType = appointment.appointment_type
        if kind.pk not in eligible:
            eligible[kind.pk] = bool(_eligible_pairs(kind, [provider_id], [location_id]))
        if not eligible[kind.pk]:
            stranded.append(StrandedAppointment(appointment, av.OUTSIDE_AVAILABILITY))
            continue
        verdict = av.is_bookable(
            calendar,
            type_spec(kind),
            appointment.starts_at,
            now=appointment.starts_at,
            grid_minutes=grid,
        )
        if not verdict.ok and verdict.reason in IMPACT_REASONS:
            stranded.append(StrandedAppointment(appointment, verdict.reason))
    return stranded


__all__ = ["IMPACT_REASONS", "StrandedAppointment", "template_change_impact"]
