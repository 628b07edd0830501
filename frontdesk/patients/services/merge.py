"""Merging two charts of the same person."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import Conflict, ValidationFailed
from frontdesk.patients.choices import CoverageStatus, GuarantorKind
from frontdesk.patients.models import Coverage, Patient, PatientMerge, Verification
from frontdesk.patients.services._common import require


def patient_merge(*, actor: Any, survivor: Patient, merged: Patient, reason: str) -> PatientMerge:
    """Merge ``merged`` into ``survivor``: everything attached moves, the merged chart redirects."""
    require(actor, "patient.merge")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Give the reason for the merge.", field="reason")
    if survivor.pk == merged.pk:
        raise ValidationFailed("Choose two different patients.", field="merged")
    with transaction.atomic():
        # Lock both rows in id order so two concurrent merges cannot deadlock.
        locked = {
            p.pk: p
            for p in Patient.objects.select_for_update()
            .filter(pk__in=[survivor.pk, merged.pk])
            .order_by("pk")
        }
        keep, gone = locked[survivor.pk], locked[merged.pk]
        if gone.merged_into_id is not None:
            raise Conflict("That record has already been merged.", code="already_merged")
        if keep.merged_into_id is not None:
            raise Conflict("The surviving record has itself been merged.", code="already_merged")

        moved: dict[str, int] = {}
        survivor_numbers = set(keep.phones.values_list("number", flat=True))
        next_rank = (keep.phones.aggregate(models.Max("rank"))["rank__max"] or 0) + 1
        moved_phones = 0
        for phone in gone.phones.order_by("rank", "id"):
            if phone.number in survivor_numbers:
                phone.delete()
                continue
            phone.patient = keep
            phone.rank = next_rank
            next_rank += 1
            phone.save(update_fields=["patient", "rank"])
            moved_phones += 1
        moved["phones"] = moved_phones

        taken = set(
            keep.coverages.filter(status=CoverageStatus.ACTIVE).values_list("priority", flat=True)
        )
        cancelled = Coverage.objects.filter(
            patient=gone, status=CoverageStatus.ACTIVE, priority__in=taken
        ).update(status=CoverageStatus.CANCELLED)
        moved["coverages"] = Coverage.objects.filter(patient=gone).update(patient=keep)
        moved["coverages_cancelled"] = cancelled
        moved["verifications"] = Verification.objects.filter(patient=gone).update(patient=keep)
        moved["subscriber_links"] = Coverage.objects.filter(subscriber_patient=gone).update(
            subscriber_patient=keep
        )
        guaranteed = Patient.objects.filter(guarantor_patient=gone).exclude(pk=keep.pk)
        moved["guarantor_links"] = guaranteed.update(guarantor_patient=keep)
        if keep.guarantor_patient_id == gone.pk:  # the survivor is now its own guarantor
            keep.guarantor_kind = GuarantorKind.SELF
            keep.guarantor_patient = None
            keep.save(update_fields=["guarantor_kind", "guarantor_patient", "updated_at"])
        # Records merged into the merged one earlier now point straight at the survivor.
        moved["earlier_merges"] = Patient.objects.filter(merged_into=gone).update(merged_into=keep)

        gone.merged_into = keep
        gone.is_active = False
        gone.save(update_fields=["merged_into", "is_active", "updated_at"])
        record = PatientMerge.objects.create(
            survivor=keep,
            merged=gone,
            reason=reason,
            merged_by=actor,
            merged_at=timezone.now(),
            moved=moved,
        )
        detail = {"survivor_id": keep.pk, "merged_id": gone.pk, "merge_id": record.pk, **moved}
        for patient_id in (keep.pk, gone.pk):
            audit_record(
                actor=actor,
                action=AuditAction.MERGE,
                category=AuditCategory.DEMOGRAPHICS,
                patient_id=patient_id,
                object_type="patient",
                object_id=patient_id,
                detail=detail,
            )
    survivor.refresh_from_db()
    merged.refresh_from_db()
    return record
