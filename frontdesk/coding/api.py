"""JSON API of coding: ICD-10-CM search and check, procedure codes, fee schedules.

Thin: each operation names its policy action (``requires``), calls one selector and shapes the answer.
Code sets and fee schedules are reference data, not PHI: these reads are not audited. Amounts are
strings ("25.00").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Schema

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import COMMON_ERRORS, READ_ERRORS
from frontdesk.api.schemas import ID_PATH, list_answer
from frontdesk.coding import selectors
from frontdesk.core.errors import NotFound

router = Router(tags=["coding"])

SEARCH_QUERY = Query(..., min_length=1, max_length=100, description="A code or words.")
ON_QUERY = Query(None, description="Date of service (default today).")
LIMIT_QUERY = Query(20, ge=1, le=100)


class IcdCodeOut(Schema):
    code: str
    description: str
    billable: bool
    release: str


class IcdCodeList(Schema):
    items: list[IcdCodeOut]
    count: int
    release: str
    warning: str


class IcdCheckOut(Schema):
    code: str
    status: str
    message: str
    description: str
    billable: bool
    on: dt.date
    release: str
    warning: str
    suggestions: list[str]


class ProcedureOut(Schema):
    code: str
    kind: str
    description: str


class ProcedureList(Schema):
    items: list[ProcedureOut]
    count: int


class FeeScheduleOut(Schema):
    id: str
    name: str
    payer_id: str | None
    payer_name: str
    effective_from: dt.date
    effective_to: dt.date | None
    notes: str


class FeeScheduleList(Schema):
    items: list[FeeScheduleOut]
    count: int


class FeeEntryOut(Schema):
    code: str
    modifier: str
    amount: str


class FeeScheduleDetail(FeeScheduleOut):
    entries: list[FeeEntryOut]


def _schedule(schedule: Any) -> dict[str, Any]:
    return {
        "id": str(schedule.pk),
        "name": schedule.name,
        "payer_id": str(schedule.payer_id) if schedule.payer_id else None,
        "payer_name": schedule.payer.name if schedule.payer_id else "",
        "effective_from": schedule.effective_from,
        "effective_to": schedule.effective_to,
        "notes": schedule.notes,
    }


def _icd(code: selectors.IcdCode) -> dict[str, Any]:
    return {
        "code": code.code,
        "description": code.description,
        "billable": code.billable,
        "release": code.release,
    }


@router.get(
    "/codes/icd10",
    auth=requires(A.CODES_VIEW),
    response={200: IcdCodeList, **COMMON_ERRORS},
    summary="Search ICD-10-CM by code prefix or words",
    operation_id="icd10_search",
)
def icd10_search(
    request: HttpRequest,
    q: str = SEARCH_QUERY,
    on: dt.date | None = ON_QUERY,
    limit: int = LIMIT_QUERY,
) -> dict[str, Any]:
    """Exact code first, then codes starting with the query, then descriptions with every word."""
    day = on or timezone.localdate()
    release, warning = selectors.icd10_release_for(day)
    items = [_icd(c) for c in selectors.icd10_search(q, limit=limit, on=day)]
    return {**list_answer(items), "release": release.name, "warning": warning}


@router.get(
    "/codes/icd10/{code}",
    auth=requires(A.CODES_VIEW),
    response={200: IcdCheckOut, **READ_ERRORS},
    summary="Check one ICD-10-CM code for a date of service",
    operation_id="icd10_get",
)
def icd10_get(
    request: HttpRequest,
    code: str = Path(..., max_length=10),
    on: dt.date | None = ON_QUERY,
) -> dict[str, Any]:
    """The code's description and verdict (ok, header, not_valid_on_date, warning); 404 if unknown."""
    check = selectors.icd10_check(code, on=on or timezone.localdate())
    if check.status == "unknown":
        raise NotFound()
    return {
        "code": check.code,
        "status": check.status,
        "message": check.message,
        "description": check.description,
        "billable": check.ok,
        "on": check.on,
        "release": check.release,
        "warning": check.warning,
        "suggestions": list(check.suggestions),
    }


@router.get(
    "/codes/procedures",
    auth=requires(A.CODES_VIEW),
    response={200: ProcedureList, **COMMON_ERRORS},
    summary="Search CPT (imported by the practice) and HCPCS Level II codes",
    operation_id="procedure_search",
)
def procedure_search(
    request: HttpRequest,
    q: str = SEARCH_QUERY,
    limit: int = LIMIT_QUERY,
) -> dict[str, Any]:
    items = [
        {"code": p.code, "kind": p.kind, "description": p.description}
        for p in selectors.procedure_search(q, limit=limit)
    ]
    return list_answer(items)


@router.get(
    "/fee-schedules",
    auth=requires(A.CODES_VIEW),
    response={200: FeeScheduleList, **COMMON_ERRORS},
    summary="List fee schedules (payer allowed amounts and standard charges)",
    operation_id="fee_schedule_list",
)
def fee_schedule_list(request: HttpRequest) -> dict[str, Any]:
    items = [_schedule(s) for s in selectors.fee_schedule_list(user=api_user(request))]
    return list_answer(items)


@router.get(
    "/fee-schedules/{schedule_id}",
    auth=requires(A.CODES_VIEW),
    response={200: FeeScheduleDetail, **READ_ERRORS},
    summary="Read one fee schedule with its prices",
    operation_id="fee_schedule_get",
)
def fee_schedule_get(
    request: HttpRequest, schedule_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    schedule = selectors.fee_schedule_get(user=api_user(request), schedule_id=schedule_id)
    entries = [
        {"code": e.code, "modifier": e.modifier, "amount": str(e.amount)}
        for e in selectors.fee_schedule_entries(schedule=schedule)
    ]
    return {**_schedule(schedule), "entries": entries}
