"""Registering and updating patients, and recording visit verifications."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import Change, audit_record
from frontdesk.core.counters import counter_next
from frontdesk.patients.choices import GuarantorKind
from frontdesk.patients.duplicates import DUPLICATE_THRESHOLD
from frontdesk.patients.errors import PatientMerged, PossibleDuplicates
from frontdesk.patients.models import DuplicateOverride, Patient, PatientPhone, Verification
from frontdesk.patients.normalize import (
    InvalidPhone,
    name_key,
    name_search_columns,
    phone_display,
    phone_e164,
    phone_search_columns,
)
from frontdesk.patients.selectors import patient_duplicates
from frontdesk.patients.services._common import (
    FieldErrors,
    apply_changes,
    clean_fields,
    clean_phones,
    lock_unmerged,
    require,
)

MAX_AGE_YEARS = 130
MRN_PREFIX = "M"
MRN_DIGITS = 7

# Fields a service never takes from input: identity, derived keys, merge state, timestamps.
_PATIENT_NOT_INPUT = frozenset(
    {
        "id",
        "mrn",
        "created_at",
        "updated_at",
        "merged_into",
        "last_name_key",
        "first_name_key",
        "last_name_phonetic",
        "first_name_phonetic",
        "ssn_last4",
    }
)
_SSN_SEPARATORS = re.compile(r"[\s-]")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_STATE = re.compile(r"^[A-Z]{2}$")


def mrn_for(number: int) -> str:
    """The MRN for counter value ``number``: 'M0000042'. Letters keep it apart from phones and DOBs."""
    return f"{MRN_PREFIX}{number:0{MRN_DIGITS}d}"


def _validate_patient(
    data: Mapping[str, Any], *, existing: Patient | None
) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """Check registration/update input; returns (field values, phones or None when not given)."""
    errors = FieldErrors()
    data = dict(data)
    has_phones = "phones" in data  # phones=None or [] on an update removes every phone
    phones_raw = data.pop("phones", None)
    if "guarantor_patient_id" in data and "guarantor_patient" not in data:
        data["guarantor_patient"] = data.pop("guarantor_patient_id")
    cleaned = clean_fields(Patient, data, _PATIENT_NOT_INPUT, errors)
    phones = clean_phones(phones_raw, errors) if has_phones else None
    today = timezone.localdate()

    def current(name: str) -> Any:
        if name in cleaned:
            return cleaned[name]
        return getattr(existing, name) if existing is not None else None

    for name in ("first_name", "last_name"):
        if (
            (existing is None or name in cleaned)
            and not current(name)
            and name not in errors.fields
        ):
            errors.add(name, "This field is required.")
        elif name in cleaned and cleaned[name] and not name_key(cleaned[name]):
            errors.add(name, "Enter a name with at least one letter.")
    dob = current("date_of_birth")
    if existing is None and dob is None and "date_of_birth" not in errors.fields:
        errors.add("date_of_birth", "This field is required.")
    if isinstance(dob, dt.date) and "date_of_birth" in cleaned:
        if dob > today:
            errors.add("date_of_birth", "The date of birth cannot be in the future.")
        elif dob < today.replace(year=today.year - MAX_AGE_YEARS, day=min(today.day, 28)):
            errors.add(
                "date_of_birth", f"The date of birth is more than {MAX_AGE_YEARS} years ago."
            )
    if "sex_at_birth" in cleaned and not cleaned["sex_at_birth"]:
        errors.add("sex_at_birth", "Choose one of the listed options.")
    if cleaned.get("ssn"):
        digits = _SSN_SEPARATORS.sub("", cleaned["ssn"])
        if not re.fullmatch(r"\d{9}", digits):
            errors.add("ssn", "Enter the 9 digits of the Social Security number.")
        elif (
            digits[:3] in {"000", "666"}
            or digits[0] == "9"
            or digits[3:5] == "00"
            or (digits[5:] == "0000")
        ):
            errors.add("ssn", "That is not a valid Social Security number.")
        else:
            cleaned["ssn"] = digits
    if cleaned.get("email"):
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors.add("email", "Enter a valid e-mail address, e.g. name@example.com.")
        else:
            cleaned["email"] = cleaned["email"].lower()
    if cleaned.get("state"):
        cleaned["state"] = cleaned["state"].upper()
        if not _STATE.match(cleaned["state"]):
            errors.add("state", "Use the two-letter state code, e.g. IL.")
    if cleaned.get("postal_code") and not _ZIP.match(cleaned["postal_code"]):
        errors.add("postal_code", "Enter a ZIP code: 5 digits, or ZIP+4 like 62701-1234.")
    if "country" in cleaned:
        cleaned["country"] = cleaned["country"].upper()
        if not re.fullmatch(r"[A-Z]{2}", cleaned["country"]):
            errors.add("country", "Use the two-letter country code, e.g. US.")
    if "preferred_language" in cleaned and not _LANGUAGE.match(cleaned["preferred_language"]):
        errors.add("preferred_language", "Use a language code such as en, es or zh-Hant.")
    for consent in ("sms_consent_at", "email_consent_at", "voice_consent_at"):
        if cleaned.get(consent) and cleaned[consent] > today:
            errors.add(consent, "The consent date cannot be in the future.")
    deceased = cleaned.get("deceased_on")
    if deceased:
        if deceased > today:
            errors.add("deceased_on", "The date cannot be in the future.")
        elif isinstance(dob, dt.date) and deceased < dob:
            errors.add("deceased_on", "The date cannot be before the date of birth.")
    for phone_field in ("emergency_contact_phone", "guarantor_phone", "employer_phone"):
        if cleaned.get(phone_field):
            try:
                cleaned[phone_field] = phone_e164(cleaned[phone_field])
            except InvalidPhone as exc:
                errors.add(phone_field, str(exc))
    if "guarantor_patient" in cleaned:
        guarantor = cleaned["guarantor_patient"]
        if guarantor in (None, ""):
            cleaned["guarantor_patient"] = None
        else:
            if not isinstance(guarantor, Patient):
                try:
                    guarantor = Patient.objects.filter(pk=int(guarantor)).first()
                except (TypeError, ValueError):
                    guarantor = None
            if guarantor is None or guarantor.merged_into_id is not None:
                errors.add("guarantor_patient", "Choose an existing patient.")
            elif existing is not None and guarantor.pk == existing.pk:
                errors.add("guarantor_patient", "Choose another patient, or the patient themself.")
            cleaned["guarantor_patient"] = guarantor
    kind = current("guarantor_kind") or GuarantorKind.SELF
    if kind == GuarantorKind.PATIENT and not current("guarantor_patient"):
        errors.add("guarantor_patient", "Choose the patient who is the guarantor.")
    if kind == GuarantorKind.PERSON and not current("guarantor_name"):
        errors.add("guarantor_name", "Enter the guarantor's name.")
    if "guarantor_kind" in cleaned and kind != GuarantorKind.PATIENT:
        cleaned["guarantor_patient"] = None
    errors.raise_if_any()
    return cleaned, phones


def _apply_name_keys(patient: Patient) -> None:
    for column, value in name_search_columns(patient.first_name, patient.last_name).items():
        setattr(patient, column, value)


def _phone_rows(patient: Patient, phones: Sequence[Mapping[str, Any]]) -> list[PatientPhone]:
    rows = []
    for rank, phone in enumerate(phones, start=1):
        rows.append(
            PatientPhone(
                patient=patient,
                number=phone["number"],
                **phone_search_columns(phone["number"]),
                phone_type=phone["phone_type"],
                sms_capable=phone["sms_capable"],
                rank=rank,
            )
        )
    return rows


def _phones_display(phones: Sequence[Mapping[str, Any]] | Sequence[PatientPhone]) -> str:
    parts = []
    for phone in phones:
        number = phone["number"] if isinstance(phone, Mapping) else phone.number
        kind = phone["phone_type"] if isinstance(phone, Mapping) else phone.phone_type
        sms = phone["sms_capable"] if isinstance(phone, Mapping) else phone.sms_capable
        parts.append(f"{phone_display(number)} ({kind}{', SMS' if sms else ''})")
    return "; ".join(parts)


def patient_register(
    *, actor: Any, data: dict[str, Any], duplicate_override_reason: str = ""
) -> Patient:
    """Register a new patient after the duplicate check; assigns the MRN and search keys."""
    require(actor, "patient.create")
    cleaned, phones = _validate_patient(data, existing=None)
    phones = phones or []
    reason = (duplicate_override_reason or "").strip()
    candidates = patient_duplicates(
        user=actor,
        first_name=cleaned["first_name"],
        last_name=cleaned["last_name"],
        date_of_birth=cleaned["date_of_birth"],
        phones=[phone["number"] for phone in phones],
        email=cleaned.get("email", ""),
        ssn=cleaned.get("ssn", ""),
    )
    likely = [c for c in candidates if c.score >= DUPLICATE_THRESHOLD]
    if likely and not reason:
        # The caller shows these charts (name, birth date, MRN) to decide: each is a disclosure to
        # record, or typing look-alike registrations would find people without a trace.
        with transaction.atomic():
            for candidate in likely:
                audit_record(
                    actor=actor,
                    action=AuditAction.QUERY,
                    category=AuditCategory.DEMOGRAPHICS,
                    patient_id=candidate.patient.pk,
                    object_type="patient",
                    object_id=candidate.patient.pk,
                    detail={"event": "duplicate_candidate", "candidates": len(likely)},
                )
        raise PossibleDuplicates(likely)
    with transaction.atomic():
        patient = Patient(**cleaned)
        if patient.ssn:
            patient.ssn_last4 = patient.ssn[-4:]
        _apply_name_keys(patient)
        patient.mrn = mrn_for(counter_next("mrn"))
        patient.save()
        PatientPhone.objects.bulk_create(_phone_rows(patient, phones))
        if likely:
            DuplicateOverride.objects.create(
                patient=patient,
                reason=reason,
                candidate_ids=[c.patient.pk for c in likely],
                decided_by=actor,
                decided_at=timezone.now(),
            )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.DEMOGRAPHICS,
            patient_id=patient.pk,
            object_type="patient",
            object_id=patient.pk,
            detail={"phones": len(phones), "duplicate_override": bool(likely)},
        )
    return patient


def patient_update(*, actor: Any, patient: Patient, data: dict[str, Any]) -> Patient:
    """Change only the given fields (and phones when given); each change goes to the history."""
    require(actor, "patient.update")
    with transaction.atomic():
        locked = lock_unmerged(patient)
        cleaned, phones = _validate_patient(data, existing=locked)
        changed_fields, changes = apply_changes(locked, cleaned)
        if "ssn" in changed_fields:
            locked.ssn_last4 = locked.ssn[-4:] if locked.ssn else ""
        if {"first_name", "last_name"} & set(changed_fields):
            _apply_name_keys(locked)
        if changed_fields:
            locked.save()
        if phones is not None:
            current = list(locked.phones.order_by("rank", "id"))
            old_text = _phones_display(current)
            new_text = _phones_display(phones)
            if old_text != new_text:
                locked.phones.all().delete()
                PatientPhone.objects.bulk_create(_phone_rows(locked, phones))
                changes.append(Change(field="phones", old=old_text, new=new_text))
                changed_fields.append("phones")
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.DEMOGRAPHICS,
            patient_id=locked.pk,
            object_type="patient",
            object_id=locked.pk,
            detail={"fields": sorted(changed_fields)},
            changes=changes,
        )
    return locked


def verification_record(
    *,
    actor: Any,
    patient: Patient,
    demographics_confirmed: bool,
    insurance_confirmed: bool,
    identity_document: str = "",
    changed_fields: Sequence[str] = (),
    note: str = "",
) -> Verification:
    """Record today's check of the patient's demographics and insurance."""
    require(actor, "verification.record")
    if patient.merged_into_id is not None:
        raise PatientMerged(survivor_id=patient.merged_into_id)
    errors = FieldErrors()
    identity_document = (identity_document or "").strip()
    if len(identity_document) > 40:
        errors.add("identity_document", "Use at most 40 characters.")
    if not demographics_confirmed and not insurance_confirmed and not (note or "").strip():
        errors.add("note", "Confirm demographics or insurance, or say in a note why neither was.")
    fields = [str(name).strip() for name in changed_fields if str(name).strip()]
    if any(len(name) > 64 for name in fields):
        errors.add("changed_fields", "Name the changed fields briefly.")
    errors.raise_if_any()
    with transaction.atomic():
        patient = lock_unmerged(patient)
        verification = Verification.objects.create(
            patient=patient,
            verified_at=timezone.now(),
            verified_by=actor,
            demographics_confirmed=demographics_confirmed,
            insurance_confirmed=insurance_confirmed,
            identity_document=identity_document,
            changed_fields=list(dict.fromkeys(fields)),
            note=(note or "").strip(),
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            category=AuditCategory.DEMOGRAPHICS,
            patient_id=patient.pk,
            object_type="verification",
            object_id=verification.pk,
            detail={
                "demographics_confirmed": demographics_confirmed,
                "insurance_confirmed": insurance_confirmed,
            },
        )
    return verification
