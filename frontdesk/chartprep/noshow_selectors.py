"""Reads of no-show follow-up: the worklist, one case, and the booking-time no-show count / flag."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Prefetch
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.chartprep.choices import CaseStatus
from frontdesk.chartprep.models import NoShowCase, OutreachAttempt
from frontdesk.core.queryset import get_restricted
from frontdesk.patients.models import Patient
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


def case_list(
    *, user: Any, location_ids: list[int] | None = None, include_closed: bool = False
) -> list[NoShowCase]:
    """Cases at the user's locations, oldest first, with their attempts (constant queries; audited)."""
    cases = (
        NoShowCase.objects.restrict(user, A.NOSHOW_WORK)
        .filter(patient__in=Patient.objects.all().scope_for(user).values("pk"))
        .select_related("patient", "location", "appointment", "appointment__provider", "closed_by")
        .prefetch_related(
            Prefetch("attempts", queryset=OutreachAttempt.objects.select_related("by"))
        )
    )
    if not include_closed:
        cases = cases.filter(status=CaseStatus.OPEN)
    else:
        cases = cases.filter(opened_at__gte=timezone.now() - dt.timedelta(days=14))
    if location_ids is not None:
        cases = cases.filter(location_id__in=location_ids)
    rows = list(cases.order_by("opened_at", "pk"))
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        object_type="noshow_case",
        detail={"event": "noshow_worklist", "rows": len(rows)},
    )
    return rows


def case_get(*, user: Any, case_id: int) -> NoShowCase:
    case: NoShowCase = get_restricted(
        NoShowCase.objects.select_related("appointment"), user, A.NOSHOW_WORK, pk=case_id
    )
    get_restricted(Patient.objects.all(), user, A.PATIENT_VIEW, pk=case.patient_id)
    return case
