"""Reads of no-show follow-up: the worklist and one case.

The booking-time no-show count and flag are scheduling facts: ``frontdesk.scheduling.noshow``
(re-exported here for callers of this module).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.chartprep.choices import CaseStatus
from frontdesk.chartprep.models import NoShowCase, OutreachAttempt
from frontdesk.core.queryset import get_restricted
from frontdesk.patients.models import Patient
from frontdesk.scheduling.noshow import (  # noqa: F401  (re-exported)
    FLAG_WINDOW,
    NoShowFlag,
    no_show_count,
    no_show_counts,
    no_show_flag,
    no_show_flags,
)


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
    now = timezone.now()
    for case in rows:
        # "Arrived late" is possible only on the visit's own day (in the location's timezone).
        case.undo_possible = (  # type: ignore[attr-defined]
            case.appointment.starts_at.astimezone(case.location.tzinfo).date()
            == now.astimezone(case.location.tzinfo).date()
        )
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
