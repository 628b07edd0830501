"""JSON API of eligibility: run a check now, read a check (benefits and the plain-language summary),
list a patient's checks.

Thin, like the views: each operation names its policy action, looks its objects up scoped to the
caller (a restricted patient's coverage = 404), calls one service or selector (which audit) and shapes
the answer. Amounts are strings ("25.00"). A clearinghouse that is down does not make the POST fail:
the check comes back ``failed`` with its reason and retry time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from ninja.responses import Status

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import READ_ERRORS, WRITE_ERRORS
from frontdesk.api.schemas import ID_PATH, IdString, InputSchema, list_answer
from frontdesk.eligibility import selectors, services
from frontdesk.eligibility.models import EligibilityCheck

router = Router(tags=["eligibility"])


class CheckRequestIn(InputSchema):
    date_of_service: dt.date | None = Field(
        None, description="The visit's date; omitted with an appointment: the appointment's date."
    )
    appointment_id: IdString | None = Field(None, description="The visit being checked.")


class BenefitOut(Schema):
    service_type: str
    code: str
    kind: str
    coverage_level: str
    network: str
    time_period: str
    amount: str | None
    percent: str | None
    insurance_type: str
    plan_description: str
    authorization_required: str
    procedure_code: str
    messages: list[str]


class SummaryOut(Schema):
    active: bool | None
    plan_name: str
    office_copay: str | None
    office_copay_service_type: str
    coinsurance_percent: str | None
    deductible: str | None
    deductible_remaining: str | None
    out_of_pocket: str | None
    out_of_pocket_remaining: str | None
    network: str


class RejectionOut(Schema):
    loop: str
    code: str
    follow_up: str
    message: str


class CheckOut(Schema):
    id: str
    coverage_id: str
    patient_id: str
    appointment_id: str | None
    date_of_service: dt.date
    status: str
    source: str
    trace_number: str
    requested_at: dt.datetime
    responded_at: dt.datetime | None
    failure_reason: str
    attempts: int
    next_retry_at: dt.datetime | None
    active: bool | None
    plan_name: str
    group_number: str
    group_name: str
    coverage_begin: dt.date | None
    coverage_end: dt.date | None
    payer_name: str
    rejections: list[RejectionOut]
    summary: SummaryOut | None
    benefits: list[BenefitOut]


class CheckList(Schema):
    items: list[CheckOut]
    count: int


def check_answer(check: EligibilityCheck) -> dict[str, Any]:
    benefits = list(check.benefits.all())
    return {
        "id": str(check.pk),
        "coverage_id": str(check.coverage_id),
        "patient_id": str(check.patient_id),
        "appointment_id": None if check.appointment_id is None else str(check.appointment_id),
        "date_of_service": check.date_of_service,
        "status": check.status,
        "source": check.source,
        "trace_number": check.trace_number,
        "requested_at": check.requested_at,
        "responded_at": check.responded_at,
        "failure_reason": check.failure_reason,
        "attempts": check.attempts,
        "next_retry_at": check.next_retry_at,
        "active": check.active,
        "plan_name": check.plan_name,
        "group_number": check.group_number,
        "group_name": check.group_name,
        "coverage_begin": check.coverage_begin,
        "coverage_end": check.coverage_end,
        "payer_name": check.payer_name,
        "rejections": [
            {
                "loop": str(r.get("loop", "")),
                "code": str(r.get("code", "")),
                "follow_up": str(r.get("follow_up", "")),
                "message": str(r.get("message", "")),
            }
            for r in check.rejections or []
        ],
        "summary": selectors.summary_of(check).as_dict() if check.is_answered else None,
        "benefits": [
            {
                "service_type": b.service_type,
                "code": b.code,
                "kind": b.kind,
                "coverage_level": b.coverage_level,
                "network": b.network,
                "time_period": b.time_period,
                "amount": None if b.amount is None else f"{b.amount:.2f}",
                "percent": None if b.percent is None else b.percent_text,
                "insurance_type": b.insurance_type,
                "plan_description": b.plan_description,
                "authorization_required": b.authorization_required,
                "procedure_code": b.procedure_code,
                "messages": [str(m) for m in b.messages],
            }
            for b in benefits
        ],
    }


@router.post(
    "/coverages/{coverage_id}/eligibility-checks",
    auth=requires(A.ELIGIBILITY_CHECK),
    response={201: CheckOut, **WRITE_ERRORS},
    summary="Check a coverage's eligibility now (270/271)",
    operation_id="eligibility_check_run",
)
def eligibility_check_run(
    request: HttpRequest, payload: CheckRequestIn, coverage_id: int = Path(..., **ID_PATH)
) -> Status[dict[str, Any]]:
    """Send a 270 for the coverage and the date of service (the appointment's date when one is
    given) and answer the check: complete, rejected, or failed with the reason (retried later)."""
    user = api_user(request)
    coverage = selectors.coverage_get(user=user, coverage_id=coverage_id)
    appointment = selectors.appointment_for(
        user=user, coverage=coverage, appointment_id=payload.appointment_id
    )
    date_of_service = payload.date_of_service
    if appointment is None and date_of_service is None:
        from django.utils import timezone

        date_of_service = timezone.localdate()
    check = services.eligibility_check(
        actor=user, coverage=coverage, appointment=appointment, date_of_service=date_of_service
    )
    check = selectors.check_get(user=user, check_id=check.pk, audit=False)
    return Status(201, check_answer(check))


@router.get(
    "/eligibility-checks/{check_id}",
    auth=requires(A.ELIGIBILITY_CHECK),
    response={200: CheckOut, **READ_ERRORS},
    summary="An eligibility check with its benefits and summary",
    operation_id="eligibility_check_get",
)
def eligibility_check_get(
    request: HttpRequest, check_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    user = api_user(request)
    return check_answer(selectors.check_get(user=user, check_id=check_id))


@router.get(
    "/patients/{patient_id}/eligibility-checks",
    auth=requires(A.ELIGIBILITY_CHECK),
    response={200: CheckList, **READ_ERRORS},
    summary="A patient's eligibility checks, newest first",
    operation_id="eligibility_check_list",
)
def eligibility_check_list(
    request: HttpRequest, patient_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    user = api_user(request)
    patient = selectors.patient_get(user=user, patient_id=patient_id)
    checks = selectors.patient_checks(user=user, patient=patient)
    return list_answer([check_answer(c) for c in checks])
