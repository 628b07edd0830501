"""Sample kiosk objects for the policy matrix (a device and a pending change at a location)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.kiosk.models import KioskChangeRequest, KioskDevice
from frontdesk.kiosk.services import kiosk_device_register
from tests.factories import AppointmentFactory, UserFactory, assign


def sample_device(location: Any) -> KioskDevice:
    manager = assign(UserFactory(role=Role.PRACTICE_MANAGER), location)
    device, _code = kiosk_device_register(actor=manager, location=location, name="Sample tablet")
    return device


def sample_change(location: Any, patient: Any, appointment: Any = None) -> KioskChangeRequest:
    """A pending change; pass the walk's shared appointment (a second one for the same patient at
    the same factory time would overlap: PostgreSQL refuses it)."""
    appointment = appointment or AppointmentFactory(location=location, patient=patient)
    return KioskChangeRequest.objects.create(
        patient=patient,
        appointment=appointment,
        location=location,
        device=sample_device(location),
        fields={"city": "Shelbyville"},
        submitted_at=timezone.now(),
    )
