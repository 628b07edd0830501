"""JSON API of billing: a visit's charges, claims with their status history, scrubbing, 837P batches.

Thin: each operation names its policy action, looks objects up scoped to the caller (out of scope =
404), calls one service or selector and shapes the answer. Amounts are strings ("125.00").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status

from frontdesk.accounts.policy import A
from frontdesk.api.auth import api_user, requires
from frontdesk.api.errors import READ_ERRORS, WRITE_ERRORS
from frontdesk.api.schemas import ID_PATH, MAX_ID, IdString, InputSchema
from frontdesk.billing import batch_services, selectors, services
from frontdesk.billing.choices import ClaimStatus
from frontdesk.billing.models import Claim, Encounter
from frontdesk.core.errors import NotFound
from frontdesk.practice.models import Payer

router = Router(tags=["billing"])
STATUS_QUERY = Query(None, description="Only claims in this status.")
PAYER_QUERY = Query(None, ge=1, le=MAX_ID, description="Only this payer's claims.")


class LineIn(InputSchema):
    procedure_code: str = Field(..., min_length=5, max_length=5)
    modifiers: list[str] = Field(default_factory=list, max_length=4)
    units: str = Field("1", max_length=10)
    charge: str = Field("", max_length=15, description='"125.00"; empty: the fee schedule.')
    pointers: list[int] = Field(default_factory=lambda: [1], min_length=1, max_length=4)


class ChargesIn(InputSchema):
    diagnoses: list[str] = Field(..., min_length=1, max_length=12)
    lines: list[LineIn] = Field(..., min_length=1, max_length=50)
    place_of_service: str = Field("", max_length=2)
    rendering_provider_id: IdString | None = None
    post: bool | None = Field(None, description="Post to the ledger (default: when allowed).")


class ChargeLineOut(Schema):
    line_number: int
    procedure_code: str
    modifiers: list[str]
    units: str
    charge: str
    diagnosis_pointers: list[int]
    ledger_entry_id: str | None


class ChargesOut(Schema):
    id: str
    appointment_id: str
    patient_id: str
    status: str
    service_date: dt.date
    place_of_service: str
    rendering_provider_id: str
    diagnoses: list[str]
    lines: list[ChargeLineOut]
    claim_ids: list[str]


class ClaimLineOut(Schema):
    line_number: int
    line_control_number: str
    procedure_code: str
    modifiers: list[str]
    units: str
    charge: str
    service_date: dt.date
    diagnosis_pointers: list[int]


class ClaimEventOut(Schema):
    status: ClaimStatus
    previous_status: str
    at: dt.datetime
    source: str
    detail: str


class FindingOut(Schema):
    severity: str
    code: str
    field: str
    message: str
    fix: str


class ClaimOut(Schema):
    id: str
    claim_id: str
    patient_id: str
    payer_id: str
    coverage_id: str
    responsibility: str
    status: ClaimStatus
    frequency_code: str
    original_claim_id: str | None
    payer_claim_number: str
    service_date: dt.date
    total_charge: str


class ClaimDetailOut(ClaimOut):
    diagnoses: list[str]
    lines: list[ClaimLineOut]
    findings: list[FindingOut]
    history: list[ClaimEventOut]


class ClaimListOut(Schema):
    items: list[ClaimOut]
    count: int


class BatchIn(InputSchema):
    payer_id: IdString | None = Field(None, description="Only this payer's ready claims.")
    send: bool = Field(True, description="Send through the clearinghouse; false: build only.")


class BatchOut(Schema):
    ids: list[str]
    claim_ids: list[str]
    claim_count: int
    total_charge: str
    sent: bool
    error: str


def _units(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def _charges_answer(encounter: Encounter) -> dict[str, Any]:
    return {
        "id": str(encounter.pk),
        "appointment_id": str(encounter.appointment_id),
        "patient_id": str(encounter.patient_id),
        "status": encounter.status,
        "service_date": encounter.service_date,
        "place_of_service": encounter.place_of_service,
        "rendering_provider_id": str(encounter.rendering_provider_id),
        "diagnoses": list(encounter.diagnoses),
        "lines": [
            {
                "line_number": line.line_number,
                "procedure_code": line.procedure_code,
                "modifiers": list(line.modifiers),
                "units": _units(line.units),
                "charge": str(line.charge),
                "diagnosis_pointers": list(line.diagnosis_pointers),
                "ledger_entry_id": None
                if line.ledger_entry_id is None
                else str(line.ledger_entry_id),
            }
            for line in encounter.lines.order_by("line_number")
        ],
        "claim_ids": [
            str(pk) for pk in encounter.claims.order_by("pk").values_list("pk", flat=True)
        ],
    }


def _claim_answer(claim: Claim) -> dict[str, Any]:
    return {
        "id": str(claim.pk),
        "claim_id": claim.claim_id,
        "patient_id": str(claim.patient_id),
        "payer_id": str(claim.payer_id),
        "coverage_id": str(claim.coverage_id),
        "responsibility": claim.responsibility,
        "status": claim.status,
        "frequency_code": claim.frequency_code,
        "original_claim_id": None
        if claim.original_claim_id is None
        else str(claim.original_claim_id),
        "payer_claim_number": claim.payer_claim_number,
        "service_date": claim.service_date,
        "total_charge": str(claim.total_charge),
    }


def _claim_detail(claim: Claim) -> dict[str, Any]:
    return {
        **_claim_answer(claim),
        "diagnoses": list(claim.diagnoses),
        "lines": [
            {
                "line_number": line.line_number,
                "line_control_number": line.line_control_number,
                "procedure_code": line.procedure_code,
                "modifiers": list(line.modifiers),
                "units": _units(line.units),
                "charge": str(line.charge),
                "service_date": line.service_date,
                "diagnosis_pointers": list(line.diagnosis_pointers),
            }
            for line in claim.lines.all()
        ],
        "findings": [
            {
                "severity": f.severity,
                "code": f.code,
                "field": f.field,
                "message": f.message,
                "fix": f.fix,
            }
            for f in claim.findings.all()
        ],
        "history": [
            {
                "status": e.status,
                "previous_status": e.previous_status,
                "at": e.at,
                "source": e.source,
                "detail": e.detail,
            }
            for e in claim.events.all()
        ],
    }


@router.get(
    "/appointments/{appointment_id}/charges",
    auth=requires(A.CHARGE_ENTER),
    response={200: ChargesOut, **READ_ERRORS},
    summary="A visit's charges",
    operation_id="charges_get",
)
def charges_get(request: HttpRequest, appointment_id: int = Path(..., **ID_PATH)) -> dict[str, Any]:
    """The charges entered for the visit; 404 when none were entered (or the visit is out of scope)."""
    user = api_user(request)
    appointment = selectors.appointment_for_charges(user=user, pk=appointment_id)
    if appointment is None:
        raise NotFound()
    encounter = Encounter.objects.filter(appointment=appointment).first()
    if encounter is None:
        raise NotFound("No charges were entered for this visit.", code="no_charges")
    return _charges_answer(encounter)


@router.post(
    "/appointments/{appointment_id}/charges",
    auth=requires(A.CHARGE_ENTER),
    response={201: ChargesOut, **WRITE_ERRORS},
    summary="Enter a visit's charges",
    operation_id="charges_enter",
)
def charges_enter(
    request: HttpRequest, payload: ChargesIn, appointment_id: int = Path(..., **ID_PATH)
) -> Status[dict[str, Any]]:
    """Enter (and, when the caller may post charges, post) the visit's charges: 409
    ``charges_already_entered`` when the visit has them already; 400 naming each bad field."""
    user = api_user(request)
    appointment = selectors.appointment_for_charges(user=user, pk=appointment_id)
    if appointment is None:
        raise NotFound()
    data = services.EncounterInput(
        diagnoses=tuple(payload.diagnoses),
        lines=tuple(
            services.LineInput(
                procedure_code=line.procedure_code,
                charge=line.charge,
                units=line.units,
                modifiers=tuple(line.modifiers),
                pointers=tuple(line.pointers),
            )
            for line in payload.lines
        ),
        place_of_service=payload.place_of_service,
        rendering_provider_id=int(payload.rendering_provider_id)
        if payload.rendering_provider_id
        else None,
    )
    post = payload.post
    if post and not user.can(A.CHARGE_POST):
        post = False
    encounter = services.encounter_save(actor=user, appointment=appointment, data=data, post=post)
    return Status(201, _charges_answer(encounter))


@router.get(
    "/claims",
    auth=requires(A.CLAIM_VIEW),
    response={200: ClaimListOut, **READ_ERRORS},
    summary="Claims",
    operation_id="claims_list",
)
def claims_list(
    request: HttpRequest,
    status: ClaimStatus | None = STATUS_QUERY,
    payer_id: int | None = PAYER_QUERY,
) -> dict[str, Any]:
    """Claims, held and rejected first, then newest first (at most 200)."""
    rows = selectors.claim_list(user=api_user(request), status=status or "", payer_id=payer_id)
    return {"items": [_claim_answer(c) for c in rows], "count": len(rows)}


def _claim(request: HttpRequest, claim_id: int) -> Claim:
    claim = selectors.claim_get(user=api_user(request), pk=claim_id)
    if claim is None:
        raise NotFound()
    return claim


@router.get(
    "/claims/{claim_id}",
    auth=requires(A.CLAIM_VIEW),
    response={200: ClaimDetailOut, **READ_ERRORS},
    summary="A claim with its lines, findings and status history",
    operation_id="claim_get",
)
def claim_get(request: HttpRequest, claim_id: int = Path(..., **ID_PATH)) -> dict[str, Any]:
    return _claim_detail(_claim(request, claim_id))


@router.post(
    "/claims/{claim_id}/scrub",
    auth=requires(A.CLAIM_SUBMIT),
    response={200: ClaimDetailOut, **WRITE_ERRORS},
    summary="Scrub a claim",
    operation_id="claim_scrub",
)
def claim_scrub(request: HttpRequest, claim_id: int = Path(..., **ID_PATH)) -> dict[str, Any]:
    """Run the scrubber: the claim becomes ready (no errors) or held; 409 once it was sent."""
    claim = _claim(request, claim_id)
    services.claim_scrub(actor=api_user(request), claim=claim)
    return _claim_detail(_claim(request, claim_id))


@router.post(
    "/claim-batches",
    auth=requires(A.CLAIM_SUBMIT),
    response={201: BatchOut, **WRITE_ERRORS},
    summary="Build (and send) an 837P batch of the ready claims",
    operation_id="claim_batch_create",
)
def claim_batch_create(request: HttpRequest, payload: BatchIn) -> Status[dict[str, Any]]:
    """409 ``nothing_to_send`` when no claim is ready. ``sent`` false with ``error``: the
    clearinghouse did not take the file (claims stay ready). ``send`` false: build and mark the
    claims sent as exported (for a file sent by other means)."""
    user = api_user(request)
    payer = None
    if payload.payer_id:
        payer = Payer.objects.filter(pk=int(payload.payer_id)).first()
        if payer is None:
            raise NotFound()
    if payload.send:
        result = batch_services.claims_send(actor=user, payer=payer)
        built, sent, error = result.built, result.sent, result.error
    else:
        built, sent, error = batch_services.claims_export(actor=user, payer=payer), True, ""
    claim_ids = [
        str(pk)
        for pk in Claim.objects.filter(batch__in=built.batches)
        .order_by("pk")
        .values_list("pk", flat=True)
    ]
    return Status(
        201,
        {
            "ids": [str(b.pk) for b in built.batches],
            "claim_ids": claim_ids,
            "claim_count": sum(b.claim_count for b in built.batches),
            "total_charge": str(sum((b.total_charge for b in built.batches), Decimal("0.00"))),
            "sent": sent,
            "error": error,
        },
    )
