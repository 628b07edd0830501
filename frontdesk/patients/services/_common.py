"""Shared input checking for the patient services: field types, phones, uploads, display text."""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models

from frontdesk.audit.services import Change
from frontdesk.core.errors import FieldErrors, PermissionDenied
from frontdesk.patients.choices import PhoneType
from frontdesk.patients.errors import PatientMerged
from frontdesk.patients.models import Patient
from frontdesk.patients.normalize import InvalidPhone, phone_e164

SENSITIVE_FIELDS = frozenset({"ssn"})  # recorded masked in the change history
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "TIFF", "BMP"})


def require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def lock_unmerged(patient: Patient) -> Patient:
    """Lock the patient's row for this transaction and return it fresh; PatientMerged if retired.

    Checked under the lock, not on the caller's copy: a chart merged after the caller loaded it must
    not receive new data (the merge has already moved everything else to the survivor).
    """
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.merged_into_id is not None:
        raise PatientMerged(survivor_id=locked.merged_into_id)
    return locked


def check_upload(value: Any, field: str, errors: FieldErrors) -> None:
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
    if image_format not in IMAGE_FORMATS:
        errors.add(field, "Use a JPEG or PNG image.")


def image_type(stored: Any) -> tuple[str, str]:
    """The stored image's MIME type and extension, read from its content (names are random)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with stored.open("rb") as handle, Image.open(handle) as image:
            mime = Image.MIME.get(image.format or "", "")
    except (UnidentifiedImageError, OSError, ValueError):
        mime = ""
    if not mime:
        return "application/octet-stream", ""
    return mime, mimetypes.guess_extension(mime) or ""


def clean_fields(
    model: type[models.Model],
    data: Mapping[str, Any],
    not_input: frozenset[str],
    errors: FieldErrors,
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
                check_upload(value, name, errors)
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


def clean_phones(raw: Any, errors: FieldErrors) -> list[dict[str, Any]]:
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


def display_value(instance: models.Model, name: str) -> str:
    if name in SENSITIVE_FIELDS:
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


def apply_changes(
    instance: models.Model, cleaned: Mapping[str, Any], *, derived: frozenset[str] = frozenset()
) -> tuple[list[str], list[Change]]:
    """Set the cleaned values that differ on ``instance``; return the changed names and their
    history entries (display text, masked when sensitive). ``derived`` columns are set silently.

    An empty upload for a field that holds no file is no change (the form sends one every time).
    """
    changed_fields: list[str] = []
    changes: list[Change] = []
    for name, value in cleaned.items():
        if name in derived:
            setattr(instance, name, value)
            continue
        old_value = getattr(instance, name)
        if isinstance(instance._meta.get_field(name), models.FileField):
            if value == "" and not old_value:
                continue
        elif old_value == value:
            continue
        old = display_value(instance, name)
        setattr(instance, name, value)
        changed_fields.append(name)
        changes.append(Change(field=name, old=old, new=display_value(instance, name)))
    return changed_fields, changes
