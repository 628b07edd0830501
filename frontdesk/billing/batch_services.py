"""837P batches: ready claims -> one interchange (one ST per billing organization), sent through the
clearinghouse or exported to a file; the claims move to *sent* with their history.

One batch carries all the ready claims for the clearinghouse (each subscriber group names its own
payer, 2010BB), or only one payer's when a payer is given. ISA13 and GS06 come from the counter
``billing.x12.interchange``; the 999 and 277CA that come back are matched on GS06 + ST02.

``actor=None`` is the system (the command line): no role check, no row scope, audited as "system".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.billing import adapters, x12map
from frontdesk.billing.choices import BatchStatus, ClaimStatus, StatusSource
from frontdesk.billing.errors import NothingToSend
from frontdesk.billing.models import Claim, ClaimBatch
from frontdesk.billing.services import claim_status_set
from frontdesk.core.errors import Conflict, PermissionDenied
from frontdesk.practice.models import Payer


@dataclass(frozen=True)
class BuiltBatch:
    batches: list[ClaimBatch]
    payload: str
    filename: str
    patient_ids: tuple[int, ...]


def _ready_claims(actor: Any, payer: Payer | None, claim_ids: list[int] | None) -> list[Claim]:
    base = Claim.objects.all() if actor is None else Claim.objects.restrict(actor, A.CLAIM_SUBMIT)
    # A claim stays ready until its batch is sent, so a batch that failed to go is simply rebuilt.
    queryset = base.filter(status=ClaimStatus.READY)
    if payer is not None:
        queryset = queryset.filter(payer=payer)
    if claim_ids is not None:
        queryset = queryset.filter(pk__in=claim_ids)
    return list(
        queryset.select_for_update(of=("self",))
        .select_related(
            "payer",
            "patient",
            "coverage",
            "coverage__payer",
            "coverage__subscriber_patient",
            "rendering_provider",
            "billing_organization",
            "primary_claim",
            "primary_claim__payer",
            "primary_claim__patient",
            "primary_claim__coverage",
            "primary_claim__coverage__payer",
            "primary_claim__coverage__subscriber_patient",
        )
        .prefetch_related("lines", "primary_claim__lines")
        .order_by("billing_organization_id", "coverage_id", "pk")
    )


def batch_build(
    *,
    actor: Any,
    payer: Payer | None = None,
    claim_ids: list[int] | None = None,
    now: dt.datetime | None = None,
) -> BuiltBatch:
    """Write the 837P of the ready claims and record the batch rows. Call inside a transaction."""
    from frontdesk.clearinghouse.envelopes import envelope_header

    claims = _ready_claims(actor, payer, claim_ids)
    if not claims:
        raise NothingToSend()
    header = envelope_header("837P", "HC", x12map.VERSION)
    now = now or header.created_at
    control = header.group_control_number
    interchange = header.interchange_control_number
    by_org: dict[int, list[Claim]] = {}
    for claim in claims:
        by_org.setdefault(claim.billing_organization_id, []).append(claim)
    batches: list[ClaimBatch] = []
    codec_batches = []
    for index, members in enumerate(by_org.values(), start=1):
        organization = members[0].billing_organization
        reference = f"FDB{control:09d}{index:02d}"
        codec_batches.append(
            x12map.codec_batch(
                reference=reference, created_at=now, organization=organization, claims=members
            )
        )
        batches.append(
            ClaimBatch(
                payer=payer,
                receiver_id=x12map.receiver_id(),
                interchange_control_number=f"{interchange:09d}",
                group_control_number=str(control),
                transaction_control_number=f"{index:04d}",
                reference=reference,
                claim_count=len(members),
                total_charge=sum((c.total_charge for c in members), Decimal("0.00")),
                created_by=actor if actor is not None else members[0].created_by,
            )
        )
    try:
        payload = x12map.codec().write_837p(codec_batches, header)
    except Exception as exc:  # X12BuildError names the claim and field
        from frontdesk.standards.x12.errors import X12BuildError

        if isinstance(exc, X12BuildError):
            raise Conflict(f"The 837P could not be written: {exc}", code="x12_build") from None
        raise
    digest = hashlib.sha256(payload.encode()).hexdigest()
    for batch, members in zip(batches, by_org.values(), strict=True):
        batch.sha256 = digest
        batch.save()
        Claim.objects.filter(pk__in=[c.pk for c in members]).update(batch=batch)
        for claim in members:
            claim.batch = batch
    filename = f"837P-{interchange:09d}.x12"
    return BuiltBatch(
        batches=batches,
        payload=payload,
        filename=filename,
        patient_ids=tuple(sorted({c.patient_id for c in claims})),
    )


def _mark_sent(actor: Any, built: BuiltBatch, status: str, detail: str, now: dt.datetime) -> None:
    for batch in built.batches:
        batch.status = status
        batch.sent_at = now
        batch.save(update_fields=["status", "sent_at", "exchange_pk", "updated_at"])
        for claim in Claim.objects.filter(batch=batch).order_by("pk"):
            claim_status_set(
                actor=actor,
                claim=claim,
                status=ClaimStatus.SENT,
                source=StatusSource.USER if actor is not None else StatusSource.SYSTEM,
                detail=f"{detail} (batch {batch.reference}, ST {batch.transaction_control_number}).",
                at=now,
            )
        audit_record(
            actor=actor,
            actor_name=None if actor is not None else "system:claims",
            action=AuditAction.DISCLOSE,
            category=AuditCategory.FINANCIAL,
            object_type="claim_batch",
            object_id=batch.pk,
            detail={
                "event": f"batch_{status}",
                "claims": batch.claim_count,
                "reference": batch.reference,
            },
        )


@dataclass(frozen=True)
class SendResult:
    built: BuiltBatch
    sent: bool
    error: str  # the transport's reason when not sent
    exchange_pk: int | None


def claims_send(
    *, actor: Any, payer: Payer | None = None, claim_ids: list[int] | None = None
) -> SendResult:
    """Build the batch of ready claims and send it through the clearinghouse.

    When the clearinghouse refuses or cannot be reached, the exchange is recorded as failed with the
    reason, the claims stay ready (the next batch takes them) and the result says why.
    """
    if actor is None or not actor.can(A.CLAIM_SUBMIT):
        raise PermissionDenied()
    with transaction.atomic():
        built = batch_build(actor=actor, payer=payer, claim_ids=claim_ids)
        exchange = adapters.exchange_send(
            actor=actor,
            kind="837P",
            payload=built.payload,
            filename=built.filename,
            patient_ids=built.patient_ids,
        )
        if exchange is None:
            raise Conflict(
                "No clearinghouse is set up; export the batch to a file instead "
                "(frontdesk claims export).",
                code="no_clearinghouse",
            )
        exchange_pk, error = exchange
        for batch in built.batches:
            batch.exchange_pk = exchange_pk
        if error:
            for batch in built.batches:
                batch.ack_detail = f"Not sent: {error}"[:500]
                batch.save(update_fields=["exchange_pk", "ack_detail", "updated_at"])
            return SendResult(built=built, sent=False, error=error, exchange_pk=exchange_pk)
        _mark_sent(actor, built, BatchStatus.SENT, "Sent to the clearinghouse", timezone.now())
    return SendResult(built=built, sent=True, error="", exchange_pk=exchange_pk)


def claims_export(*, actor: Any, payer: Payer | None = None) -> BuiltBatch:
    """Build the batch of ready claims for sending by hand (a file); the claims become *sent*.

    Disclosures for payment are recorded here, since no clearinghouse exchange records them.
    """
    if actor is not None and not actor.can(A.CLAIM_SUBMIT):
        raise PermissionDenied()
    with transaction.atomic():
        built = batch_build(actor=actor, payer=payer)
        now = timezone.now()
        _mark_sent(actor, built, BatchStatus.EXPORTED, "Exported to a file", now)
        adapters.disclosures_for_claims(
            actor=actor,
            patient_ids=built.patient_ids,
            reference=built.filename,
            at=now,
        )
    return built
