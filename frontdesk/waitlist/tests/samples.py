"""Sample waitlist rows for generic tests (the policy matrix): an entry and an open offer at a location."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.waitlist.models import WaitlistEntry, WaitlistOffer
from tests.factories import AppointmentTypeFactory, PatientFactory, ProviderFactory, UserFactory


def sample_entry(objects: dict[str, Any]) -> WaitlistEntry:
    """One waiting patient at the sample location (shared by every URL of one sample world)."""
    if "waitlist_entry" not in objects:
        objects["waitlist_entry"] = WaitlistEntry.objects.create(
            patient=PatientFactory(),
            location=objects["location"],
            appointment_type=AppointmentTypeFactory(),
            created_by=UserFactory(role=Role.FRONT_DESK),
            created_at=timezone.now() - dt.timedelta(hours=1),
        )
    entry: WaitlistEntry = objects["waitlist_entry"]
    return entry


def sample_offer(objects: dict[str, Any]) -> WaitlistOffer:
    """An open offer to the sample entry, expiring in 30 minutes, for a time two days ahead."""
    if "waitlist_offer" not in objects:
        entry = sample_entry(objects)
        now = timezone.now()
        starts = (now + dt.timedelta(days=2)).replace(second=0, microsecond=0)
        objects["waitlist_offer"] = WaitlistOffer.objects.create(
            entry=entry,
            provider=ProviderFactory(),
            location=entry.location,
            appointment_type=entry.appointment_type,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=20),
            rank=1,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=30),
        )
    offer: WaitlistOffer = objects["waitlist_offer"]
    return offer
