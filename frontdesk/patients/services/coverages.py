"""Adding and changing insurance coverages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import Change, audit_record
from frontdesk.core.errors import ValidationFailed
from frontdesk.patients.choices import CoverageStatus, SubscriberRelationship
from frontdesk.patients.errors import PatientMerged
from frontdesk.patients.models import Coverage, Patient
from frontdesk.patients.normalize import member_id_key
from frontdesk.patients.services._common import (
    FieldErrors,
    apply_changes,
    clean_fields,
    display_value,
    lock_unmerged,
    require,
)
from frontdesk.practice.models import Payer, Plan

# Fields a service never takes from input: identity, derived key, timestamps.
_COVERAGE_NOT_INPUT = frozenset({"id", "patient", "created_at", "updated_at", "member_id_key"})


def _validate_coverage(
    data: Mapping[str, Any], *, patient: Patient, existing: Coverage | None
) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    for name in ("payer", "plan", "subscriber_patient"):
        if f"{name}_id" in data and name not in data:
            data[name] = data.pop(f"{name}_id")
    cleaned = clean_fields(Coverage, data, _COVERAGE_NOT_INPUT, errors)

    def current(name: str) -> Any:
        if name in cleaned:
            return cleaned[name]
        return getattr(existing, name) if existing is not None else None

    def resolve(name: str, model: type[models.Model]) -> Any:
        value: Any = cleaned.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, model):
            return value
        try:
            return model._default_manager.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            return None

    if "payer" in cleaned or existing is None:
        payer = resolve("payer", Payer)
        if payer is None:
            errors.add("payer", "Choose the insurance company.")
        elif not payer.is_active:
            errors.add("payer", "That payer is no longer active; choose another.")
        cleaned["payer"] = payer
    if "plan" in cleaned:
        plan = resolve("plan", Plan)
        if cleaned["plan"] not in (None, "") and plan is None:
            errors.add("plan", "Choose a plan from the list.")
        cleaned["plan"] = plan
    plan = current("plan")
    payer = current("payer")
    if (
        plan is not None
        and payer is not None
        and "plan" not in errors.fields
        and plan.payer_id != payer.pk
    ):
        errors.add("plan", "That plan belongs to another payer.")
    member_needed = existing is None or "member_id" in cleaned
    if member_needed and not current("member_id") and "member_id" not in errors.fields:
        errors.add("member_id", "Enter the member ID from the insurance card.")
    if "subscriber_patient" in cleaned:
        subscriber = resolve("subscriber_patient", Patient)
        if cleaned["subscriber_patient"] not in (None, "") and (
            subscriber is None or subscriber.merged_into_id is not None
        ):
            errors.add("subscriber_patient", "Choose an existing patient.")
        cleaned["subscriber_patient"] = subscriber
    relationship = current("relationship") or SubscriberRelationship.SELF
    if relationship != SubscriberRelationship.SELF and current("subscriber_patient") is None:
        for name, label in (
            ("subscriber_first_name", "the subscriber's first name"),
            ("subscriber_last_name", "the subscriber's last name"),
            ("subscriber_date_of_birth", "the subscriber's date of birth"),
        ):
            if not current(name) and name not in errors.fields:
                errors.add(name, f"Enter {label} (the patient is not the subscriber).")
    sub_dob = current("subscriber_date_of_birth")
    if sub_dob and sub_dob > timezone.localdate() and "subscriber_date_of_birth" in cleaned:
        errors.add("subscriber_date_of_birth", "The date of birth cannot be in the future.")
    effective, terminates = current("effective_on"), current("terminates_on")
    if effective and terminates and terminates < effective and "terminates_on" not in errors.fields:
        errors.add("terminates_on", "The termination date cannot be before the effective date.")
    status = current("status") or CoverageStatus.ACTIVE
    priority = current("priority") or 1
    if status == CoverageStatus.ACTIVE and "priority" not in errors.fields:
        clash = Coverage.objects.filter(
            patient=patient, status=CoverageStatus.ACTIVE, priority=priority
        )
        if existing is not None:
            clash = clash.exclude(pk=existing.pk)
        if clash.exists():
            label = dict(Coverage._meta.get_field("priority").flatchoices)[priority]  # type: ignore[arg-type]
            errors.add(
                "priority",
                f"This patient already has an active {str(label).lower()} coverage; "
                "end or cancel it first, or choose another priority.",
            )
    errors.raise_if_any()
    if "member_id" in cleaned:
        cleaned["member_id_key"] = member_id_key(cleaned["member_id"])
    return cleaned


def _priority_taken() -> ValidationFailed:
    return ValidationFailed(
        "Another active coverage has that priority.",
        fields={"priority": ["Another active coverage already has this priority."]},
    )


def coverage_create(*, actor: Any, patient: Patient, data: dict[str, Any]) -> Coverage:
    """Add an insurance coverage to a patient."""
    require(actor, "coverage.edit")
    if patient.merged_into_id is not None:
        raise PatientMerged(survivor_id=patient.merged_into_id)
    cleaned = _validate_coverage(data, patient=patient, existing=None)
    try:
        with transaction.atomic():
            patient = lock_unmerged(patient)
            coverage = Coverage(patient=patient, **cleaned)
            coverage.save()
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                category=AuditCategory.INSURANCE,
                patient_id=patient.pk,
                object_type="coverage",
                object_id=coverage.pk,
                changes=[
                    Change(field=name, old="", new=display_value(coverage, name))
                    for name in cleaned
                    if name != "member_id_key"
                ],
            )
    except IntegrityError as exc:  # the one-active-per-priority constraint, raced
        raise _priority_taken() from exc
    return coverage


def coverage_update(*, actor: Any, coverage: Coverage, data: dict[str, Any]) -> Coverage:
    """Change the given fields of a coverage; each change goes to the patient's history."""
    require(actor, "coverage.edit")
    try:
        with transaction.atomic():
            locked = Coverage.objects.select_for_update().get(pk=coverage.pk)
            patient = Patient.objects.get(pk=locked.patient_id)
            cleaned = _validate_coverage(data, patient=patient, existing=locked)
            changed_fields, changes = apply_changes(
                locked, cleaned, derived=frozenset({"member_id_key"})
            )
            if changed_fields:
                locked.save()
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                category=AuditCategory.INSURANCE,
                patient_id=locked.patient_id,
                object_type="coverage",
                object_id=locked.pk,
                detail={"fields": sorted(changed_fields)},
                changes=changes,
            )
    except IntegrityError as exc:
        raise _priority_taken() from exc
    return locked
