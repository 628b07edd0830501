# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
"""A patient who consented to SMS and e-mail, with an appointment two days out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    LocationFactory,
    PatientFactory,
    PatientPhoneFactory,
)


@pytest.fixture(autouse=True)
def _no_quiet_hours(settings: Any, tmp_path: Any) -> None:
    settings.NOTIFY_QUIET_HOURS = ""
    settings.DATA_DIR = tmp_path
    settings.NOTIFY_SMS_GATEWAY = "file"
    settings.NOTIFY_WEBHOOK_SECRET = "test-webhook-secret"


@pytest.fixture
def patient(db: None) -> Any:
    patient = PatientFactory(
        first_name="Remindia",
        email="remindia@example.com",
        sms_consent_at=dt.date(2026, 1, 5),
        email_consent_at=dt.date(2026, 1, 5),
    )
    PatientPhoneFactory(patient=patient, number="+12025550131", sms_capable=True)
    return patient


@pytest.fixture
def appointment(patient: Any) -> Any:
    starts = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    return AppointmentFactory(
        patient=patient,
        location=LocationFactory(name="Example North Clinic", timezone="America/New_York"),
        appointment_type=AppointmentTypeFactory(name="Zzsecretreason consult", duration_minutes=30),
        starts_at=starts,
    )
