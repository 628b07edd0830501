"""JSON API of the clearinghouse exchange log (read only): what was sent and received, and how it went.

The files themselves are not served here (they carry PHI); the screen's audited download is the way
to the bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import READ_ERRORS
from frontdesk.api.schemas import ID_PATH, list_answer
from frontdesk.clearinghouse import selectors
from frontdesk.clearinghouse.models import Exchange

router = Router(tags=["clearinghouse"])

MAX_LIMIT = 500


class ExchangeOut(Schema):
    id: str
    direction: str
    kind: str
    filename: str
    status: str
    error: str
    control_number: str
    sha256: str
    size: int
    transport: str
    created_at: dt.datetime
    processed_at: dt.datetime | None
    request_id: str | None
    patient_count: int


class ExchangeList(Schema):
    items: list[ExchangeOut]
    count: int


def _out(exchange: Exchange, patient_count: int) -> dict[str, Any]:
    return {
        "id": str(exchange.pk),
        "direction": exchange.direction,
        "kind": exchange.kind,
        "filename": exchange.filename,
        "status": exchange.status,
        "error": exchange.error,
        "control_number": exchange.control_number,
        "sha256": exchange.sha256,
        "size": exchange.size,
        "transport": exchange.transport,
        "created_at": exchange.created_at,
        "processed_at": exchange.processed_at,
        "request_id": str(exchange.request_id) if exchange.request_id else None,
        "patient_count": patient_count,
    }


@router.get(
    "/clearinghouse/exchanges",
    auth=requires(A.CLAIM_VIEW),
    response={200: ExchangeList, **READ_ERRORS},
    summary="The exchange log: X12 files sent to and received from the clearinghouse",
    operation_id="exchange_list",
)
def exchange_list(
    request: HttpRequest,
    kind: str = Query("", description="270, 271, 837P, 999, 277CA, 835, TA1 or unknown."),
    status: str = Query("", description="sent, received, failed, processed or error."),
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
) -> dict[str, Any]:
    """The newest exchanges first (no file contents)."""
    from django.db.models import Count

    user = api_user(request)
    rows = list(
        selectors.exchange_list(user=user, action=A.CLAIM_VIEW, kind=kind, status=status).annotate(
            patient_count=Count("patients")
        )[:limit]
    )
    return list_answer([_out(e, e.patient_count) for e in rows])  # type: ignore[attr-defined]


@router.get(
    "/clearinghouse/exchanges/{exchange_id}",
    auth=requires(A.CLAIM_VIEW),
    response={200: ExchangeOut, **READ_ERRORS},
    summary="One exchange of the log",
    operation_id="exchange_get",
)
def exchange_get(request: HttpRequest, exchange_id: int = Path(..., **ID_PATH)) -> dict[str, Any]:
    user = api_user(request)
    exchange = selectors.exchange_get(user=user, action=A.CLAIM_VIEW, exchange_id=exchange_id)
    return _out(exchange, exchange.patients.count())
