"""Writing patients: registration, updates with field history, coverages, verifications, merges.

Every service validates all of its input before writing anything, raises ``ValidationFailed`` with one
message per bad field, and writes its audit row in the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import Change, audit_record
from frontdesk.core.counters import counter_next
from frontdesk.core.errors import Conflict, PermissionDenied, ValidationFailed
from frontdesk.patients.choices import (
    CoverageStatus,
    GuarantorKind,
    PhoneType,
    SubscriberRelationship,
)
from frontdesk.patients.duplicates import DUPLICATE_THRESHOLD
from frontdesk.patients.errors import PatientMerged, PossibleDuplicates
from frontdesk.patients.models import (
    Coverage,
    DuplicateOverride,
    Patient,
    PatientMerge,
    PatientPhone,
    Verification,
)
from frontdesk.patients.normalize import (
    InvalidPhone,
    member_id_key,
    name_key,
    phone_digits,
    phone_display,
    phone_e164,
    phonetic_key,
)
from frontdesk.patients.selectors import patient_duplicates
from frontdesk.practice.models import Payer, Plan

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
_COVERAGE_NOT_INPUT = frozenset({"id", "patient", "created_at", "updated_at", "member_id_key"})
_SENSITIVE = frozenset({"ssn"})
_IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP"})
_SSN_SEPARATORS = re.compile(r"[\s-]")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_STATE = re.compile(r"^[A-Z]{2}$")


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def mrn_for(number: int) -> str:
    """The MRN for counter value ``number``: 'M0000042'. Letters keep it apart from phones and DOBs."""
    return f"{MRN_PREFIX}{number:0{MRN_DIGITS}d}"


# --- validation -------------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed("Please correct the highlighted fields.", fields=self.fields)


def _check_upload(value: Any, field: str, errors: _Errors) -> None:
    """An uploaded image: within the size limit and really an image (Pillow reads and verifies it)."""
    from PIL import Image, UnidentifiedImageError

    if not isinstance(value, UploadedFile):
        errors.add(field, "Upload an image file.")
        return
    if value.size is None or value.size > settings.MAX_UPLOAD_BYTES:
        limit_mb = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        errors.add(field, f"The file is too large; the limit is {limit_mb} MB.")
        return
    try:
        value.seek(0)
        with Image.open(value) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        errors.add(field, "The file is not an image we can read (use JPEG or PNG).")
        return
    finally:
        value.seek(0)
    if image_format not in _IMAGE_FORMATS:
        errors.add(field, "Use a JPEG or PNG image.")


def _clean_fields(
    model: type[models.Model],
    data: Mapping[str, Any],
    not_input: frozenset[str],
    errors: _Errors,
) -> dict[str, Any]:
    """Type, length and choice checks for every key, driven by the model's own field definitions."""
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        if name in not_input:
            errors.add(name, "This field cannot be set here.")
            continue
        try:
            field = model._meta.get_field(name)
        except Exception:  # FieldDoesNotExist; also reverse relations we do not take
            errors.add(name, "Unknown field.")
            continue
        if not getattr(field, "concrete", False) or field.auto_created:
            errors.add(name, "Unknown field.")
            continue
        if isinstance(field, models.FileField):
            if value in (None, ""):
                cleaned[name] = ""
            else:
                _check_upload(value, name, errors)
                cleaned[name] = value
            continue
        if isinstance(field, models.ForeignKey):
            cleaned[name] = value
            continue
        if isinstance(field, models.BooleanField):
            if not isinstance(value, bool):
                errors.add(name, "Choose yes or no.")
                continue
            cleaned[name] = value
            continue
        if isinstance(field, models.DateField):
            if value is None or value == "":
                if not field.null:
                    errors.add(name, "This field is required.")
                    continue
                cleaned[name] = None
                continue
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                errors.add(name, "Enter a valid date.")
                continue
            cleaned[name] = value
            continue
        if isinstance(field, models.DecimalField):
            if value is None or value == "":
                cleaned[name] = None
                continue
            try:
                amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
            except InvalidOperation:
                errors.add(name, "Enter an amount, e.g. 25.00.")
                continue
            if not amount.is_finite() or amount < 0:
                errors.add(name, "Enter an amount of zero or more.")
                continue
            if amount != amount.quantize(Decimal("0.01")):
                errors.add(name, "Use at most two decimal places.")
                continue
            if amount >= Decimal(10) ** (field.max_digits - field.decimal_places):  # type: ignore[operator]
                errors.add(name, "That amount is too large.")
                continue
            cleaned[name] = amount.quantize(Decimal("0.01"))
            continue
        if isinstance(field, models.PositiveSmallIntegerField | models.IntegerField):
            if isinstance(value, bool) or not isinstance(value, int):
                errors.add(name, "Enter a whole number.")
                continue
            if field.choices and value not in {choice[0] for choice in field.choices}:
                errors.add(name, "Choose one of the listed options.")
                continue
            cleaned[name] = value
            continue
        if isinstance(field, models.CharField | models.TextField):
            if value is None:
                value = ""
            if not isinstance(value, str):
                errors.add(name, "Enter text.")
                continue
            value = value.strip()
            if field.max_length and len(value) > field.max_length:
                errors.add(name, f"Use at most {field.max_length} characters.")
                continue
            if value and field.choices and value not in {str(c[0]) for c in field.choices}:
                errors.add(name, "Choose one of the listed options.")
                continue
            cleaned[name] = value
            continue
        errors.add(name, "This field cannot be set here.")
    return cleaned


def _clean_phones(raw: Any, errors: _Errors) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        errors.add("phones", "Phones must be a list.")
        return []
    phones: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, entry in enumerate(raw, start=1):
        if not isinstance(entry, Mapping):
            errors.add("phones", f"Phone {position}: enter a number.")
            continue
        number = str(entry.get("number") or "").strip()
        if not number:
            continue  # an empty row in a form is not a phone
        try:
            e164 = phone_e164(number)
        except InvalidPhone as exc:
            errors.add("phones", f"Phone {position}: {exc}")
            continue
        phone_type = entry.get("phone_type") or PhoneType.MOBILE
        if phone_type not in PhoneType.values:
            errors.add("phones", f"Phone {position}: choose mobile, home or work.")
            continue
        sms = entry.get("sms_capable", False)
        if not isinstance(sms, bool):
            errors.add("phones", f"Phone {position}: say whether it takes text messages.")
            continue
        if e164 in seen:
            continue
        seen.add(e164)
        phones.append({"number": e164, "phone_type": phone_type, "sms_capable": sms})
    return phones


def _validate_patient(
    data: Mapping[str, Any], *, existing: Patient | None
) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """Check registration/update input; returns (field values, phones or None when not given)."""
    errors = _Errors()
    data = dict(data)
    phones_raw = data.pop("phones", None)
    has_phones = "phones" in dict.fromkeys(data) or phones_raw is not None
    if "guarantor_patient_id" in data and "guarantor_patient" not in data:
        data["guarantor_patient"] = data.pop("guarantor_patient_id")
    cleaned = _clean_fields(Patient, data, _PATIENT_NOT_INPUT, errors)
    phones = _clean_phones(phones_raw, errors) if has_phones else None
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
    patient.last_name_key = name_key(patient.last_name)
    patient.first_name_key = name_key(patient.first_name)
    patient.last_name_phonetic = phonetic_key(patient.last_name)
    patient.first_name_phonetic = phonetic_key(patient.first_name)


def _display(instance: models.Model, name: str) -> str:
    if name in _SENSITIVE:
        last4 = str(getattr(instance, name) or "")[-4:]
        return f"***-**-{last4}" if last4 else ""
    value = getattr(instance, name)
    if isinstance(value, models.Model):
        return str(value)  # payer and plan names; "Patient M0000042" for linked patients
    if isinstance(value, models.fields.files.FieldFile):
        return "image on file" if value else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _phone_rows(patient: Patient, phones: Sequence[Mapping[str, Any]]) -> list[PatientPhone]:
    rows = []
    for rank, phone in enumerate(phones, start=1):
        digits = phone_digits(phone["number"])
        rows.append(
            PatientPhone(
                patient=patient,
                number=phone["number"],
                digits=digits,
                digits_reversed=digits[::-1],
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


# --- patients ---------------------------------------------------------------------------------


def patient_register(
    *, actor: Any, data: dict[str, Any], duplicate_override_reason: str = ""
) -> Patient:
    """Register a new patient after the duplicate check; assigns the MRN and search keys."""
    _require(actor, "patient.create")
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
    )
    likely = [c for c in candidates if c.score >= DUPLICATE_THRESHOLD]
    if likely and not reason:
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
    _require(actor, "patient.update")
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        if locked.merged_into_id is not None:
            raise PatientMerged(survivor_id=locked.merged_into_id)
        cleaned, phones = _validate_patient(data, existing=locked)
        changes: list[Change] = []
        changed_fields: list[str] = []
        for name, value in cleaned.items():
            old = _display(locked, name)
            old_value = getattr(locked, name)
            if isinstance(Patient._meta.get_field(name), models.FileField):
                if value == "" and not old_value:
                    continue
            elif old_value == value:
                continue
            setattr(locked, name, value)
            changed_fields.append(name)
            changes.append(Change(field=name, old=old, new=_display(locked, name)))
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


# --- coverages --------------------------------------------------------------------------------


def _validate_coverage(
    data: Mapping[str, Any], *, patient: Patient, existing: Coverage | None
) -> dict[str, Any]:
    errors = _Errors()
    data = dict(data)
    for name in ("payer", "plan", "subscriber_patient"):
        if f"{name}_id" in data and name not in data:
            data[name] = data.pop(f"{name}_id")
    cleaned = _clean_fields(Coverage, data, _COVERAGE_NOT_INPUT, errors)

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
    _require(actor, "coverage.edit")
    if patient.merged_into_id is not None:
        raise PatientMerged(survivor_id=patient.merged_into_id)
    cleaned = _validate_coverage(data, patient=patient, existing=None)
    try:
        with transaction.atomic():
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
                    Change(field=name, old="", new=_display(coverage, name))
                    for name in cleaned
                    if name != "member_id_key"
                ],
            )
    except IntegrityError as exc:  # the one-active-per-priority constraint, raced
        raise _priority_taken() from exc
    return coverage


def coverage_update(*, actor: Any, coverage: Coverage, data: dict[str, Any]) -> Coverage:
    """Change the given fields of a coverage; each change goes to the patient's history."""
    _require(actor, "coverage.edit")
    try:
        with transaction.atomic():
            locked = Coverage.objects.select_for_update().get(pk=coverage.pk)
            patient = Patient.objects.get(pk=locked.patient_id)
            cleaned = _validate_coverage(data, patient=patient, existing=locked)
            changes: list[Change] = []
            changed_fields: list[str] = []
            for name, value in cleaned.items():
                if name == "member_id_key":
                    locked.member_id_key = value
                    continue
                old_value = getattr(locked, name)
                if isinstance(Coverage._meta.get_field(name), models.FileField):
                    if value == "" and not old_value:
                        continue
                elif old_value == value:
                    continue
                old = _display(locked, name)
                setattr(locked, name, value)
                changed_fields.append(name)
                changes.append(Change(field=name, old=old, new=_display(locked, name)))
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


# --- verification -----------------------------------------------------------------------------


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
    _require(actor, "verification.record")
    if patient.merged_into_id is not None:
        raise PatientMerged(survivor_id=patient.merged_into_id)
    errors = _Errors()
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


# --- merge ------------------------------------------------------------------------------------


def patient_merge(*, actor: Any, survivor: Patient, merged: Patient, reason: str) -> PatientMerge:
    """Merge ``merged`` into ``survivor``: everything attached moves, the merged chart redirects."""
    _require(actor, "patient.merge")
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
