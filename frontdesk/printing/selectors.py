"""Reads of printing: a location's appointments for a day (with everything a form prints), and the
encounter-form configuration that applies to a provider.

``user=None`` means the system (the command line and the downtime task): no row scoping, and the
caller audits under a system name. Every interface that has a user passes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.patients.choices import CoverageStatus
from frontdesk.patients.models import Coverage, Patient
from frontdesk.practice.models import Location, Provider
from frontdesk.printing.models import EncounterFormBatch, EncounterFormConfig
from frontdesk.scheduling.choices import ACTIVE_STATUSES
from frontdesk.scheduling.models import Appointment


def day_bounds(location: Location, day: dt.date, days: int = 1) -> tuple[dt.datetime, dt.datetime]:
    """Start and end (exclusive) of ``days`` local days at the location, as aware datetimes."""
    tz = location.tzinfo
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=days), dt.time(0), tzinfo=tz)
    return start, end


def printable_locations(*, user: Any | None) -> QuerySet[Location]:
    base = (
        Location.objects.all() if user is None else Location.objects.restrict(user, A.FORMS_PRINT)
    )
    return base.filter(is_active=True).order_by("name")


def appointments_to_print(
    *,
    user: Any | None,
    location: Location,
    day: dt.date,
    days: int = 1,
    provider_id: int | None = None,
    appointment_id: int | None = None,
) -> list[Appointment]:
    """The location's active appointments of ``days`` days from ``day``, by provider then time.

    Loads patient (phones, active coverages with payer and plan), provider and type in a constant
    number of queries. A user sees only their locations and, like everywhere, restricted records
    only with the right role or a break-glass grant.
    """
    start, end = day_bounds(location, day, days)
    if user is None:
        queryset = Appointment.objects.all()
    else:
        queryset = Appointment.objects.restrict(user, A.FORMS_PRINT).filter(
            patient__in=Patient.objects.restrict(user, A.PATIENT_VIEW)
        )
    queryset = queryset.filter(
        location=location, starts_at__gte=start, starts_at__lt=end, status__in=ACTIVE_STATUSES
    )
    if provider_id is not None:
        queryset = queryset.filter(provider_id=provider_id)
    if appointment_id is not None:
        queryset = queryset.filter(pk=appointment_id)
    coverages = Coverage.objects.filter(status=CoverageStatus.ACTIVE).select_related(
        "payer", "plan"
    )
    rows = list(
        queryset.select_related(
            "patient", "patient__guarantor_patient", "provider", "appointment_type", "room"
        )
        .prefetch_related(
            "patient__phones",
            Prefetch("patient__coverages", queryset=coverages, to_attr="active_coverages"),
        )
        .order_by("provider__last_name", "provider__first_name", "provider_id", "starts_at", "pk")
    )
    for row in rows:
        row.location = location  # every row is at this location: no query per row to load it
    return rows


class EncounterFormConfigs:
    """All configurations loaded once; ``for_provider`` applies the provider-wins-over-specialty rule."""

    def __init__(self) -> None:
        self.by_provider: dict[int, EncounterFormConfig] = {}
        self.by_specialty: dict[str, EncounterFormConfig] = {}
        for config in EncounterFormConfig.objects.all():
            if config.provider_id is not None:
                self.by_provider[config.provider_id] = config
            else:
                self.by_specialty[config.specialty.strip().lower()] = config

    def for_provider(self, provider: Provider) -> EncounterFormConfig | None:
        return self.by_provider.get(provider.pk) or self.by_specialty.get(
            provider.specialty.strip().lower()
        )


def encounter_form_config_list(*, user: Any) -> list[EncounterFormConfig]:
    return list(
        EncounterFormConfig.objects.restrict(user, A.PRACTICE_MANAGE)
        .select_related("provider")
        .order_by("provider__last_name", "specialty", "pk")
    )


def _visible_batches(user: Any) -> QuerySet[EncounterFormBatch]:
    """Batches at the user's locations that the user asked for; a practice manager sees all of
    their locations' batches (to help at the desk)."""
    batches = EncounterFormBatch.objects.restrict(user, A.FORMS_PRINT)
    if not user.can(A.PRACTICE_MANAGE):
        batches = batches.filter(requested_by=user)
    return batches


def encounter_form_batch_get(*, user: Any, pk: int) -> EncounterFormBatch | None:
    """One batch the user may follow and download, or None (absent and out of scope look alike)."""
    return _visible_batches(user).select_related("location", "requested_by").filter(pk=pk).first()


def encounter_form_batch_list_recent(
    *, user: Any, location: Location, limit: int = 5
) -> list[EncounterFormBatch]:
    """The user's own batches of a location that have not expired, newest first."""
    return list(
        EncounterFormBatch.objects.restrict(user, A.FORMS_PRINT).filter(
            requested_by=user, location=location, expires_at__gt=timezone.now()
        )[:limit]
    )
