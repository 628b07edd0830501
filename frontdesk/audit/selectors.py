"""Reading the audit log: the privacy officer's report, break-glass grants, field-change history.

Every function takes the user and scopes through ``restrict(user, action)``. The report reads patient
MRNs through the app registry rather than importing ``patients`` (which sits above ``audit``): the
report is an interface over the whole practice, the audit domain code stays below everything else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone

from frontdesk.audit.models import AuditEvent, EmergencyAccessGrant, FieldChange
from frontdesk.core.errors import ValidationFailed

# The report's sort keys (what a URL may say) and the columns they sort by. Anything else is refused:
# a sort parameter passed through to ORDER BY is a classic injection and information-leak path.
SORT_COLUMNS: dict[str, str] = {
    "sequence": "sequence",
    "time": "occurred_at",
    "user": "actor_name",
    "role": "actor_role",
    "patient": "patient_id",
    "action": "action",
    "category": "category",
    "object": "object_type",
    "outcome": "outcome",
    "source_ip": "source_ip",
    "emergency": "emergency_access",
}
DEFAULT_SORT = "-sequence"

GRANT_STATUSES = ("pending", "reviewed", "all")


def sort_is_allowed(sort: str) -> bool:
    return sort.removeprefix("-") in SORT_COLUMNS


def practice_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return the UTC-aware start and end (exclusive) of a calendar day in the practice's timezone."""
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def _patient_model() -> Any:
    return apps.get_model("patients", "Patient")


def audit_event_list(
    *,
    user: Any,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    actor_id: int | None = None,
    patient: str = "",
    action: str = "",
    category: str = "",
    outcome: str = "",
    emergency_only: bool = False,
    sort: str = DEFAULT_SORT,
) -> QuerySet[AuditEvent]:
    """Return the audit events matching the report's filters, sorted by an allow-listed column.

    Dates are whole days in the practice's timezone, both ends included. ``patient`` is a patient id
    or an MRN (MRNs resolve only among patients the user may search). An unknown ``sort`` raises
    ``ValidationFailed``.
    """
    if not sort_is_allowed(sort):
        raise ValidationFailed("Unknown sort column.", code="invalid_sort", field="sort")
    events = AuditEvent.objects.restrict(user, "audit.view")
    if date_from is not None:
        events = events.filter(occurred_at__gte=practice_day_bounds(date_from)[0])
    if date_to is not None:
        events = events.filter(occurred_at__lt=practice_day_bounds(date_to)[1])
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    patient = patient.strip()
    if patient:
        by_mrn = (
            _patient_model()
            .objects.restrict(user, "patient.search")
            .filter(mrn__iexact=patient)
            .values("pk")
        )
        match = Q(patient_id__in=by_mrn)
        if patient.isdigit() and len(patient) <= 18:
            match |= Q(patient_id=int(patient))
        events = events.filter(match)
    if action:
        events = events.filter(action=action)
    if category:
        events = events.filter(category=category)
    if outcome:
        events = events.filter(outcome=outcome)
    if emergency_only:
        events = events.filter(emergency_access=True)
    column = SORT_COLUMNS[sort.removeprefix("-")]
    descending = sort.startswith("-")
    # The sequence breaks ties, so pages never overlap or skip rows.
    return events.order_by(
        f"-{column}" if descending else column, "-sequence" if descending else "sequence"
    )


def patient_mrns(*, user: Any, patient_ids: Iterable[int | None]) -> dict[int, str]:
    """Map patient ids to MRNs, for the patients the user may view (one query)."""
    wanted = {patient_id for patient_id in patient_ids if patient_id is not None}
    if not wanted:
        return {}
    return dict(
        _patient_model()
        .objects.restrict(user, "patient.view")
        .filter(pk__in=wanted)
        .values_list("pk", "mrn")
    )


def emergency_grant_list(*, user: Any, status: str = "pending") -> QuerySet[EmergencyAccessGrant]:
    """Return break-glass grants for review: ``pending`` (not yet reviewed), ``reviewed`` or ``all``."""
    if status not in GRANT_STATUSES:
        raise ValidationFailed("Unknown status.", code="invalid_status", field="status")
    grants = (
        EmergencyAccessGrant.objects.restrict(user, "breakglass.review")
        .select_related("user", "reviewed_by")
        .order_by("-started_at", "-id")
    )
    if status == "pending":
        grants = grants.filter(reviewed_at__isnull=True)
    elif status == "reviewed":
        grants = grants.filter(reviewed_at__isnull=False)
    return grants


def emergency_grant_events(*, user: Any, grant_ids: Collection[int]) -> dict[int, list[AuditEvent]]:
    """Return the audit events made under each grant, in sequence order (one query for all grants)."""
    by_grant: dict[int, list[AuditEvent]] = {grant_id: [] for grant_id in grant_ids}
    if not grant_ids:
        return by_grant
    events = (
        AuditEvent.objects.restrict(user, "breakglass.review")
        .filter(emergency_grant_id__in=list(grant_ids))
        .order_by("sequence")
    )
    for event in events:
        if event.emergency_grant_id is not None:
            by_grant[event.emergency_grant_id].append(event)
    return by_grant


def field_change_list(
    *, patient_id: int, object_type: str = "", object_id: str = "", limit: int | None = None
) -> list[FieldChange]:
    """Return a patient's field changes, newest first, each with its audit event (who and when).

    The caller has already scoped the patient (``patient.view``); this only reads its history.
    ``limit`` keeps a long-lived chart's page from loading its whole history.
    """
    changes = FieldChange.objects.filter(patient_id=patient_id)
    if object_type:
        changes = changes.filter(object_type=object_type)
    if object_id:
        changes = changes.filter(object_id=object_id)
    ordered = changes.select_related("audit_event").order_by(
        "-audit_event__sequence", "object_type", "field", "id"
    )
    return list(ordered if limit is None else ordered[:limit])
