"""JSON API for chart prep: the readiness checklist of a location's upcoming visits.

Thin: the operation names its policy action, looks the location up scoped to the caller (out of
scope = 404), calls one selector (which audits) and shapes the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import WRITE_ERRORS
from frontdesk.api.schemas import MAX_ID, list_answer
from frontdesk.chartprep import selectors
from frontdesk.core.errors import ValidationFailed
from frontdesk.core.queryset import get_restricted
from frontdesk.practice.models import Location

router = Router(tags=["chart prep"])
MAX_SPAN = dt.timedelta(days=14)
LOCATION_QUERY = Query(..., ge=1, le=MAX_ID, description="The location's id.")
START_QUERY = Query(None, description="Default: now.")
END_QUERY = Query(None, description="Default: start + the readiness window (3 days).")
MSG_SPAN = "The window must end after it starts and span at most 14 days."
MSG_AWARE = "Give start and end with a UTC offset, e.g. 2026-12-01T00:00:00-05:00."


class ReadinessItemOut(Schema):
    key: str
    label: str
    status: str
    message: str


class ReadinessOut(Schema):
    appointment_id: str
    patient_id: str
    provider_id: str
    location_id: str
    appointment_type_id: str
    starts_at: dt.datetime
    is_ready: bool
    missing: list[str]
    items: list[ReadinessItemOut]
    owners: dict[str, Any]
    computed_at: dt.datetime | None


class ReadinessList(Schema):
    items: list[ReadinessOut]
    count: int


@router.get(
    "/readiness",
    auth=requires(A.READINESS_VIEW),
    response={200: ReadinessList, **WRITE_ERRORS},
    summary="Chart-prep readiness of a location's upcoming visits",
    operation_id="readiness_list",
)
def readiness_list(
    request: HttpRequest,
    location: int = LOCATION_QUERY,
    start: dt.datetime | None = START_QUERY,
    end: dt.datetime | None = END_QUERY,
) -> dict[str, Any]:
    """Every active visit starting in [start, end), ready or not, by time (audited as one query)."""
    user = api_user(request)
    place = get_restricted(Location.objects.all(), user, A.READINESS_VIEW, pk=location)
    for value in (start, end):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed(MSG_AWARE, field="start" if value is start else "end")
    default_start, default_end = selectors.upcoming_window()
    start = start or default_start
    end = end or (start + (default_end - default_start))
    if end <= start or end - start > MAX_SPAN:
        raise ValidationFailed(MSG_SPAN, field="end")
    rows = selectors.readiness_worklist(
        user=user, location_ids=[place.pk], start=start, end=end, not_ready_only=False
    )
    return list_answer(
        [
            {
                "appointment_id": str(row.appointment.pk),
                "patient_id": str(row.appointment.patient_id),
                "provider_id": str(row.appointment.provider_id),
                "location_id": str(row.appointment.location_id),
                "appointment_type_id": str(row.appointment.appointment_type_id),
                "starts_at": row.appointment.starts_at,
                "is_ready": not row.missing,
                "missing": row.missing,
                "items": row.items,
                "owners": row.owners,
                "computed_at": row.computed_at,
            }
            for row in rows
        ]
    )
