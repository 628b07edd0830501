"""JSON API of remittances: list and read 835 postings, import an 835, read the denial worklist.

``POST /remittances`` takes the 835 itself as the request body (``Content-Type: application/edi-x12``
or text/plain), or a JSON object ``{"content": "<the 835 text>", "filename": "..."}``. The same
payment imported twice answers 200 with ``already_posted`` (nothing posted again); a first posting
answers 201. Amounts are strings with two decimals.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from ninja.responses import Status

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import READ_ERRORS, WRITE_ERRORS
from frontdesk.api.schemas import ID_PATH
from frontdesk.core.errors import ValidationFailed
from frontdesk.remittance import selectors, services
from frontdesk.remittance.models import ClaimRemittance, Denial, Remittance

router = Router(tags=["remittance"])


class RemittanceOut(Schema):
    id: str
    payer_name: str
    payer_identifier: str
    payer_id: str | None
    trace_number: str
    payment_method: str
    total_paid: str
    payment_date: dt.date
    status: str
    claim_count: int
    unmatched_count: int
    imported_at: dt.datetime


class AdjustmentOut(Schema):
    group: str
    reason: str
    amount: str
    meaning: str
    treatment: str


class LineOut(Schema):
    procedure_code: str
    modifiers: list[str]
    service_date: dt.date | None
    charge: str
    paid: str
    claim_line_id: str | None
    matched_by: str
    adjustments: list[AdjustmentOut]
    remarks: list[str]


class PostingOut(Schema):
    entry_id: str
    account_id: str
    role: str
    bucket: str
    amount: str


class ClaimOut(Schema):
    patient_control_number: str
    claim_id: str | None
    status_code: str
    status_meaning: str
    match: str
    total_charge: str
    paid: str
    patient_responsibility: str | None
    message: str
    adjustments: list[AdjustmentOut]
    lines: list[LineOut]
    postings: list[PostingOut]


class PlbOut(Schema):
    reason: str
    meaning: str
    reference: str
    amount: str


class RemittanceDetailOut(RemittanceOut):
    claims: list[ClaimOut]
    provider_adjustments: list[PlbOut]


class ImportOut(Schema):
    posted: list[RemittanceOut]
    already_posted: list[RemittanceOut]
    claims_posted: int
    claims_denied: int
    claims_reversed: int
    unmatched: list[str]
    messages: list[str]


class DenialOut(Schema):
    id: str
    claim_id: str
    claim_line_id: str | None
    carc_codes: str
    rarc_codes: str
    meaning: str
    amount: str
    status: str
    assigned_to_id: str | None
    created_at: dt.datetime


def _remittance(r: Remittance) -> dict[str, Any]:
    return {
        "id": str(r.pk),
        "payer_name": r.payer_name,
        "payer_identifier": r.payer_identifier,
        "payer_id": None if r.payer_id is None else str(r.payer_id),
        "trace_number": r.trace_number,
        "payment_method": r.payment_method,
        "total_paid": str(r.total_paid),
        "payment_date": r.payment_date,
        "status": r.status,
        "claim_count": r.claim_count,
        "unmatched_count": r.unmatched_count,
        "imported_at": r.imported_at,
    }


def _adjustment(a: Any) -> dict[str, Any]:
    return {
        "group": a.group,
        "reason": a.reason,
        "amount": str(a.amount),
        "meaning": a.meaning,
        "treatment": a.treatment,
    }


def _claim(c: ClaimRemittance) -> dict[str, Any]:
    return {
        "patient_control_number": c.patient_control_number,
        "claim_id": None if c.claim_id is None else str(c.claim_id),
        "status_code": c.status_code,
        "status_meaning": c.status_meaning,
        "match": c.match,
        "total_charge": str(c.total_charge),
        "paid": str(c.paid),
        "patient_responsibility": None
        if c.patient_responsibility is None
        else str(c.patient_responsibility),
        "message": c.message,
        "adjustments": [_adjustment(a) for a in c.claim_adjustments],  # type: ignore[attr-defined]
        "lines": [
            {
                "procedure_code": line.procedure_code,
                "modifiers": line.modifiers.split(),
                "service_date": line.service_date,
                "charge": str(line.charge),
                "paid": str(line.paid),
                "claim_line_id": None if line.claim_line_id is None else str(line.claim_line_id),
                "matched_by": line.matched_by,
                "adjustments": [_adjustment(a) for a in line.adjustments.all()],
                "remarks": [m.code for m in line.remarks.all()],
            }
            for line in c.lines.all()
        ],
        "postings": [
            {
                "entry_id": str(p.entry_id),
                "account_id": str(p.entry.account_id),
                "role": p.role,
                "bucket": p.entry.bucket,
                "amount": str(p.entry.amount),
            }
            for p in c.postings.all()
        ],
    }


@router.get(
    "/remittances",
    auth=requires(A.CLAIM_VIEW),
    response={200: list[RemittanceOut], **READ_ERRORS},
    summary="Remittances (835), newest first",
    operation_id="remittance_list",
)
def remittance_list(
    request: HttpRequest,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> list[dict[str, Any]]:
    return [
        _remittance(r)
        for r in selectors.remittance_list(user=api_user(request), limit=limit, offset=offset)
    ]


@router.get(
    "/remittances/{remittance_id}",
    auth=requires(A.CLAIM_VIEW),
    response={200: RemittanceDetailOut, **READ_ERRORS},
    summary="One remittance: its claims, lines, adjustments and what was posted",
    operation_id="remittance_get",
)
def remittance_get(
    request: HttpRequest, remittance_id: int = Path(..., **ID_PATH)
) -> dict[str, Any]:
    """Claims of patients outside the caller's access are left out. The read is audited."""
    page = selectors.remittance_get(user=api_user(request), remittance_id=remittance_id)
    return {
        **_remittance(page.remittance),
        "claims": [_claim(c) for c in page.claims],
        "provider_adjustments": [
            {
                "reason": p.reason,
                "meaning": p.meaning,
                "reference": p.reference,
                "amount": str(p.amount),
            }
            for p in page.remittance.provider_adjustments.all()
        ],
    }


def _body(request: HttpRequest) -> tuple[bytes, str]:
    raw = request.body
    if request.content_type == "application/json":
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise ValidationFailed("The body is not valid JSON.", field="content") from None
        if not isinstance(data, dict) or not isinstance(data.get("content"), str):
            raise ValidationFailed('Send the 835 text as "content".', field="content")
        return data["content"].encode("utf-8"), str(data.get("filename") or "")[:200]
    return raw, ""


@router.post(
    "/remittances",
    auth=requires(A.REMITTANCE_POST),
    response={201: ImportOut, 200: ImportOut, **WRITE_ERRORS},
    summary="Import an 835 and post it",
    operation_id="remittance_import",
)
def remittance_import(request: HttpRequest) -> Status[dict[str, Any]]:
    """Post each payment of the 835 once: 201 when something was posted, 200 when every payment in
    it was already posted (``already_posted``, nothing changed). 400 ``era_invalid`` for a file that
    cannot be read (truncated, out of balance), ``era_unknown_claims`` when none of its claims is
    ours: nothing is written then."""
    data, filename = _body(request)
    result = services.era_import(actor=api_user(request), data=data, filename=filename)
    return Status(
        201 if result.posted else 200,
        {
            "posted": [_remittance(r) for r in result.posted],
            "already_posted": [_remittance(r) for r in result.already_posted],
            "claims_posted": result.claims_posted,
            "claims_denied": result.claims_denied,
            "claims_reversed": result.claims_reversed,
            "unmatched": result.unmatched,
            "messages": result.messages,
        },
    )


@router.get(
    "/denials",
    auth=requires(A.DENIAL_WORK),
    response={200: list[DenialOut], **READ_ERRORS},
    summary="The denial worklist",
    operation_id="denial_list",
)
def denial_list(
    request: HttpRequest,
    status: str = Query("", max_length=20),
    assigned: str = Query("", max_length=8),
    carc: str = Query("", max_length=8),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> list[dict[str, Any]]:
    """Open denials by default (open, appealed, corrected); ``status=all`` for every one."""
    denials: list[Denial] = selectors.denial_list(
        user=api_user(request),
        status=status,
        assigned=assigned,
        carc=carc,
        limit=limit,
        offset=offset,
    )
    return [
        {
            "id": str(d.pk),
            "claim_id": d.claim.claim_id,
            "claim_line_id": None if d.claim_line_id is None else str(d.claim_line_id),
            "carc_codes": d.carc_codes,
            "rarc_codes": d.rarc_codes,
            "meaning": d.meaning,
            "amount": str(d.amount),
            "status": d.status,
            "assigned_to_id": None if d.assigned_to_id is None else str(d.assigned_to_id),
            "created_at": d.created_at,
        }
        for d in denials
    ]
