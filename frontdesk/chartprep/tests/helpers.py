"""Shared set-up for chart prep tests: a visit tomorrow that needs a prior authorization."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from frontdesk.chartprep.models import ConsentAcknowledgement
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    CoverageFactory,
    PatientFactory,
    ProviderFactory,
)


def tomorrow_at(location: Any, hour: int = 10) -> dt.datetime:
    tz = location.tzinfo
    day = timezone.now().astimezone(tz).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz)


def ready_patient(**fields: Any) -> Any:
    """A patient with active coverage and every required form acknowledged this week."""
    patient = PatientFactory(**fields)
    CoverageFactory(patient=patient, effective_on=dt.date(2020, 1, 1))
    for kind in ("privacy_notice", "financial_policy"):
        ConsentAcknowledgement.objects.create(
            patient=patient, kind=kind, method="paper", acknowledged_at=timezone.now()
        )
    return patient


def visit(location: Any, *, hour: int = 10, needs_prior_auth: bool = False, **kw: Any) -> Any:
    kw.setdefault("patient", ready_patient())
    kw.setdefault("provider", ProviderFactory())
    kw.setdefault("appointment_type", AppointmentTypeFactory(requires_prior_auth=needs_prior_auth))
    return AppointmentFactory(location=location, starts_at=tomorrow_at(location, hour), **kw)
