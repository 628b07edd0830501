"""No-shows as a booking-time fact: how many a patient had in the last 12 months, and the flag the
booking panel shows at N or more (setting ``NOSHOW_FLAG_THRESHOLD``, default 3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.models import Appointment

FLAG_WINDOW = dt.timedelta(days=365)


def no_show_count(patient_id: int, since: dt.datetime) -> int:
    """How many visits of the patient starting on or after ``since`` were no-shows (one query)."""
    return Appointment.objects.filter(
        patient_id=patient_id, status=AppointmentStatus.NOSHOW, starts_at__gte=since
    ).count()


def no_show_counts(patient_ids: list[int], since: dt.datetime) -> dict[int, int]:
    """``no_show_count`` for many patients at once (one query): for a list of search hits."""
    rows = (
        Appointment.objects.filter(
            patient_id__in=patient_ids, status=AppointmentStatus.NOSHOW, starts_at__gte=since
        )
        .values("patient_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = dict.fromkeys(patient_ids, 0)
    counts.update({row["patient_id"]: row["n"] for row in rows})
    return counts


@dataclass(frozen=True)
class NoShowFlag:
    count: int
    threshold: int
    flagged: bool


def _flag(count: int) -> NoShowFlag:
    threshold = int(getattr(settings, "NOSHOW_FLAG_THRESHOLD", 3))
    return NoShowFlag(count=count, threshold=threshold, flagged=count >= threshold)


def no_show_flag(patient_id: int, *, now: dt.datetime | None = None) -> NoShowFlag:
    """The booking panel's flag: N or more no-shows in the last 12 months (setting, default 3)."""
    now = now or timezone.now()
    return _flag(no_show_count(patient_id, now - FLAG_WINDOW))


def no_show_flags(
    patient_ids: list[int], *, now: dt.datetime | None = None
) -> dict[int, NoShowFlag]:
    """``no_show_flag`` for every patient of a pick list, in one query."""
    now = now or timezone.now()
    counts = no_show_counts(patient_ids, now - FLAG_WINDOW)
    return {patient_id: _flag(count) for patient_id, count in counts.items()}
