"""JSON API of the disclosure log: a patient's accounting of disclosures (an audited PHI read)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import READ_ERRORS
from frontdesk.api.schemas import ID_PATH, list_answer
from frontdesk.core.errors import ValidationFailed
from frontdesk.disclosures import selectors

router = Router(tags=["disclosures"])

SINCE_QUERY = Query(None, description="Only disclosures at or after this time.")
UNTIL_QUERY = Query(None, description="Only disclosures before this time.")
MSG_AWARE = "Give the time with its offset, e.g. 2026-11-27T09:00:00-05:00."


class DisclosureOut(Schema):
    id: str
    patient_id: str
    disclosed_at: dt.datetime
    recipient: str
    recipient_identifier: str
    purpose: str
    description: str
    reference: str
    actor: str


class DisclosureList(Schema):
    items: list[DisclosureOut]
    count: int


@router.get(
    "/patients/{patient_id}/disclosures",
    auth=requires(A.AUDIT_VIEW),
    response={200: DisclosureList, **READ_ERRORS, 400: READ_ERRORS[404]},
    summary="A patient's accounting of disclosures (newest first)",
    operation_id="disclosure_list",
)
def disclosure_list(
    request: HttpRequest,
    patient_id: int = Path(..., **ID_PATH),
    since: dt.datetime | None = SINCE_QUERY,
    until: dt.datetime | None = UNTIL_QUERY,
) -> dict[str, Any]:
    user = api_user(request)
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ValidationFailed(MSG_AWARE, field=name)
    patient = selectors.disclosure_patient_get(user=user, patient_id=patient_id)
    rows = selectors.disclosures_for_patient(user=user, patient=patient, since=since, until=until)
    return list_answer(
        [
            {
                "id": str(d.pk),
                "patient_id": str(d.patient_id),
                "disclosed_at": d.disclosed_at,
                "recipient": d.recipient,
                "recipient_identifier": d.recipient_identifier,
                "purpose": d.purpose,
                "description": d.description,
                "reference": d.reference,
                "actor": d.actor.display_name if d.actor else "system",
            }
            for d in rows
        ]
    )
