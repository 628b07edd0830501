"""Reads for the schedule-setup screens (action ``schedule.configure``).

Configuration (types, templates, time off) is not PHI and is not audited when read. The list of
appointments a change left outside availability names patients: reading it writes one audit row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.queryset import get_restricted
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling.choices import ACTIVE_STATUSES
from frontdesk.scheduling.impact import StrandedAppointment
from frontdesk.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityTemplate,
    ScheduleException,
)
from frontdesk.scheduling.setup_rules import WEEKDAY_NAMES, local_today

CONFIGURE = A.SCHEDULE_CONFIGURE

REASON_LABELS = {
    "outside_availability": "Outside the provider's hours",
    "type_not_allowed": "Window no longer takes this type",
    "blocked": "Blocked or time off",
    "reserved": "Reserved for other types",
    "off_grid": "Off the booking grid",
}


# --- appointment types ---------------------------------------------------------------------------


def setup_type_list(*, user: Any, show: str = "active") -> QuerySet[AppointmentType]:
    """Appointment types for the setup list with their providers and upcoming booked visits."""
    queryset = AppointmentType.objects.restrict(user, CONFIGURE)
    if show == "active":
        queryset = queryset.filter(is_active=True)
    elif show == "inactive":
        queryset = queryset.filter(is_active=False)
    return (
        queryset.annotate(
            upcoming=Count(
                "appointments",
                filter=Q(
                    appointments__status__in=ACTIVE_STATUSES,
                    appointments__starts_at__gte=timezone.now(),
                ),
            )
        )
        .prefetch_related("providers")
        .order_by("name", "pk")
    )


def setup_type_get(*, user: Any, type_id: int) -> AppointmentType:
    kind: AppointmentType = get_restricted(
        AppointmentType.objects.prefetch_related("providers"), user, CONFIGURE, pk=type_id
    )
    return kind


def setup_type_choices(*, user: Any) -> QuerySet[AppointmentType]:
    """Active types a template window can be limited to."""
    return AppointmentType.objects.restrict(user, CONFIGURE).filter(is_active=True).order_by("name")


# --- locations and providers ---------------------------------------------------------------------


def setup_locations(*, user: Any) -> QuerySet[Location]:
    return Location.objects.restrict(user, CONFIGURE).filter(is_active=True).order_by("name", "pk")


def setup_location_get(*, user: Any, location_id: Any) -> Location:
    location: Location = get_restricted(
        Location.objects.filter(is_active=True), user, CONFIGURE, pk=location_id
    )
    return location


def setup_providers(*, user: Any, location: Location | None = None) -> QuerySet[Provider]:
    queryset = Provider.objects.restrict(user, CONFIGURE).filter(is_active=True)
    if location is not None:
        queryset = queryset.filter(locations=location)
    return queryset.order_by("last_name", "first_name", "pk")


def setup_provider_get(*, user: Any, provider_id: Any, location: Location | None = None) -> Any:
    queryset = Provider.objects.all()
    if location is not None:
        queryset = queryset.filter(locations=location)
    return get_restricted(queryset, user, CONFIGURE, pk=provider_id)


# --- templates -----------------------------------------------------------------------------------


@dataclass
class WeekdayColumn:
    weekday: int
    name: str
    windows: list[AvailabilityTemplate] = field(default_factory=list)


@dataclass
class TemplateWeek:
    """A provider's weekly pattern at a location: what applies today or later, and ended rows."""

    provider: Provider
    location: Location
    today: dt.date
    days: list[WeekdayColumn]
    ended: list[AvailabilityTemplate]


def template_week(*, user: Any, provider: Provider, location: Location) -> TemplateWeek:
    """The templates of a provider at a location, by weekday (three queries whatever the count)."""
    today = local_today(location)
    rows = list(
        AvailabilityTemplate.objects.restrict(user, CONFIGURE)
        .filter(provider=provider, location=location)
        .prefetch_related("appointment_types")
        .order_by("weekday", "start_time", "effective_from", "pk")
    )
    days = [WeekdayColumn(n, WEEKDAY_NAMES[n]) for n in range(7)]
    ended = []
    for row in rows:
        row.has_applied = row.effective_from < today  # type: ignore[attr-defined]
        row.is_future = row.effective_from > today  # type: ignore[attr-defined]
        row.weekday_name = WEEKDAY_NAMES[row.weekday]  # type: ignore[attr-defined]
        if row.effective_until is not None and row.effective_until < today:
            ended.append(row)
        else:
            days[row.weekday].windows.append(row)
    ended.sort(key=lambda r: (r.effective_until or today, r.pk), reverse=True)
    return TemplateWeek(provider, location, today, days, ended[:30])


def template_get(*, user: Any, template_id: int) -> AvailabilityTemplate:
    template: AvailabilityTemplate = get_restricted(
        AvailabilityTemplate.objects.select_related("provider", "location").prefetch_related(
            "appointment_types"
        ),
        user,
        CONFIGURE,
        pk=template_id,
    )
    return template


# --- exceptions ----------------------------------------------------------------------------------


def _exception_scope(user: Any) -> Q:
    locations = Location.objects.restrict(user, CONFIGURE)
    return Q(location__in=locations) | Q(location__isnull=True, provider__locations__in=locations)


def exception_list(
    *, user: Any, location: Location | None = None, provider: Provider | None = None
) -> list[ScheduleException]:
    """Time off that has not ended, in the user's locations (soonest first)."""
    if not user.can(CONFIGURE):
        return []
    queryset = ScheduleException.objects.filter(_exception_scope(user)).filter(
        ends_at__gt=timezone.now()
    )
    if location is not None:
        queryset = queryset.filter(
            Q(location=location) | Q(location__isnull=True, provider__locations=location)
        )
    if provider is not None:
        queryset = queryset.filter(Q(provider=provider) | Q(provider__isnull=True))
    pks = queryset.values("pk")
    rows = list(
        ScheduleException.objects.filter(pk__in=pks)
        .select_related("provider", "location")
        .prefetch_related("provider__locations")
        .order_by("starts_at", "pk")[:500]
    )
    for row in rows:
        _localize(row)
    return rows


def _localize(exception: ScheduleException) -> None:
    """Local start/end for display: the location's zone (a provider's first location otherwise)."""
    location = exception.location
    if location is None and exception.provider is not None:
        location = min(exception.provider.locations.all(), key=lambda loc: loc.pk, default=None)
    tz = location.tzinfo if location is not None else dt.UTC
    # Naive local wall times: templates would otherwise convert aware values to TIME_ZONE.
    exception.local_start = _wall(exception.starts_at, tz)  # type: ignore[attr-defined]
    exception.local_end = _wall(exception.ends_at, tz)  # type: ignore[attr-defined]
    exception.zone_name = location.timezone if location is not None else "UTC"  # type: ignore[attr-defined]


def exception_get(*, user: Any, exception_id: int) -> ScheduleException:
    from frontdesk.core.errors import NotFound

    if not user.can(CONFIGURE):
        raise NotFound()
    found = (
        ScheduleException.objects.filter(_exception_scope(user), pk=exception_id)
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise NotFound()
    exception = ScheduleException.objects.select_related("provider", "location").get(pk=found)
    _localize(exception)
    return exception


def _wall(instant: dt.datetime, tz: Any) -> dt.datetime:
    """The local wall time of an instant in ``tz``, naive (so templates show it as is)."""
    return instant.astimezone(tz).replace(tzinfo=None)


# --- stranded appointments (PHI: audited) --------------------------------------------------------


@dataclass(frozen=True)
class StrandedRow:
    appointment: Appointment
    reason: str
    reason_label: str
    local_start: dt.datetime
    local_end: dt.datetime
    day_url_date: str


def stranded_rows(
    *, user: Any, stranded: Sequence[StrandedAppointment], view: str
) -> list[StrandedRow]:
    """The stranded appointments the user may see, with patient and provider; one audit row."""
    reasons = {s.appointment.pk: s.reason for s in stranded}
    if not reasons:
        return []
    appointments = (
        Appointment.objects.restrict(user, CONFIGURE)
        .filter(pk__in=list(reasons))
        .select_related("patient", "provider", "location", "appointment_type")
        .order_by("starts_at", "pk")
    )
    rows = []
    for appointment in appointments:
        tz = appointment.location.tzinfo
        local = _wall(appointment.starts_at, tz)
        reason = reasons[appointment.pk]
        rows.append(
            StrandedRow(
                appointment,
                reason,
                REASON_LABELS.get(reason, reason),
                local,
                _wall(appointment.ends_at, tz),
                local.date().isoformat(),
            )
        )
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        object_type="appointment",
        detail={"view": view, "results": len(rows)},
    )
    return rows
