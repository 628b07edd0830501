"""Writing for the kiosk: register, enrol and revoke devices; a patient's self check-in steps; review.

The patient-facing services act as the device's service user ("kiosk <name>"): every audit row, flow
event and consent they write names the tablet. Staff services check the actor's permission and
location scope (another location's device or request looks absent: 404).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from frontdesk.accounts.choices import Role
from frontdesk.accounts.models import User
from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.chartprep.choices import ConsentKind, ConsentMethod
from frontdesk.chartprep.selectors import consents_due
from frontdesk.chartprep.services import consent_acknowledge
from frontdesk.core.errors import (
    Conflict,
    FieldErrors,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from frontdesk.kiosk.choices import (
    CARD_SIDES,
    CHANGE_FIELDS,
    HOLDER_RELATIONSHIP,
    INSURANCE,
    PAYER_OTHER,
    ChangeRequestStatus,
    InsuranceHolder,
)
from frontdesk.kiosk.codes import kiosk_code_decode
from frontdesk.kiosk.models import KioskChangeRequest, KioskDevice
from frontdesk.patients.choices import CoveragePriority, CoverageStatus, SubscriberRelationship
from frontdesk.patients.models import Coverage, Patient
from frontdesk.patients.normalize import InvalidPhone, name_key, phone_e164
from frontdesk.patients.services import (
    check_upload,
    coverage_create,
    coverage_update,
    patient_update,
)
from frontdesk.practice.models import Location, Payer, StaffLocation
from frontdesk.scheduling.choices import AppointmentStatus
from frontdesk.scheduling.models import Appointment
from frontdesk.visits.models import Visit
from frontdesk.visits.services import visit_self_check_in

ENROL_CODE_HOURS = 24
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed by hand on a tablet
_SALT = "frontdesk.kiosk.device"
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_STATE = re.compile(r"^[A-Z]{2}$")

MSG_NAME = "Name the tablet (1 to 60 characters)."
MSG_NAME_TAKEN = "A kiosk of this location already has this name."
MSG_ENROL_CODE = "This code is not valid or has expired. Ask the practice manager for a new one."
MSG_REVOKED = "This kiosk is already revoked."
MSG_NOT_LOCKED = "This kiosk is not locked."
MSG_NOTHING_CHANGED = "Type what changed, or go back."
MSG_SIGNATURE = "Type your full name (first and last) as your signature."
MSG_READ = "Tick the box to confirm you have read the form."
MSG_REASON = "Give the reason for rejecting the change."
MSG_REVIEWED = "This change was already reviewed."
MSG_PAYER_OTHER = "Type the name of your insurance company."
MSG_PAYER_LIST = "Choose your insurance company from the list."
MSG_PAYER_CHOOSE = "Choose your insurance company (or Other, and type its name)."
MSG_MEMBER_ID = "Enter the member ID from your insurance card."
MSG_PAYER_PICK = "The patient reported “{name}”: choose the payer from the list to apply it."
MSG_PAYER_INACTIVE = "That payer is no longer active; choose another."


def _digest(value: str) -> str:
    return salted_hmac(_SALT, value, algorithm="sha256").hexdigest()


def _require(actor: Any, action: str) -> None:
    if actor is None or not actor.can(action):
        raise PermissionDenied()


def _require_location(actor: Any, location_id: int, action: str) -> None:
    if not Location.objects.restrict(actor, action).filter(pk=location_id).exists():
        raise NotFound()


def _new_enrol_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def _normal_code(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())


# --- devices ---------------------------------------------------------------------------------------


def kiosk_device_register(*, actor: Any, location: Location, name: str) -> tuple[KioskDevice, str]:
    """Register a tablet for ``location``; returns the device and its one-time enrolment code.

    The code is shown once (only its hash is kept) and expires after ``ENROL_CODE_HOURS``.
    """
    _require(actor, A.PRACTICE_MANAGE)
    _require_location(actor, location.pk, A.PRACTICE_MANAGE)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed(MSG_NAME, field="name")
    if KioskDevice.objects.filter(location=location, name__iexact=name).exists():
        raise ValidationFailed(MSG_NAME_TAKEN, field="name")
    code = _new_enrol_code()
    now = timezone.now()
    with transaction.atomic():
        # The device's own identity: front-desk role at its location only, cannot log in.
        user = User(
            username=f"kiosk-{secrets.token_hex(6)}",
            first_name="kiosk",
            last_name=name,
            role=Role.FRONT_DESK,
            is_service_account=True,
        )
        user.set_unusable_password()
        user.save()
        StaffLocation.objects.create(user=user, location=location)
        device = KioskDevice.objects.create(
            name=name,
            location=location,
            service_user=user,
            enrol_code_hash=_digest(_normal_code(code)),
            enrol_code_expires_at=now + dt.timedelta(hours=ENROL_CODE_HOURS),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.PRIVILEGE_CHANGE,
            category=AuditCategory.SECURITY,
            object_type="kiosk_device",
            object_id=device.pk,
            detail={"event": "kiosk_registered", "location_id": location.pk},
        )
    return device, code


def kiosk_device_enrol(*, code: str) -> tuple[KioskDevice, str]:
    """Enrol the tablet that typed a valid one-time ``code``; returns the device and its secret.

    The code works once: it is cleared at enrolment. Unknown, used, expired or revoked: refused.
    """
    normal = _normal_code(code)
    if len(normal) != 8:
        raise ValidationFailed(MSG_ENROL_CODE, field="code")
    now = timezone.now()
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = (
            KioskDevice.objects.select_for_update()
            .select_related("service_user", "location")
            .filter(enrol_code_hash=_digest(normal), revoked_at__isnull=True)
            .first()
        )
        if (
            device is None
            or device.enrol_code_expires_at is None
            or device.enrol_code_expires_at < now
        ):
            raise ValidationFailed(MSG_ENROL_CODE, field="code")
        device.enrol_code_hash = ""
        device.enrol_code_expires_at = None
        device.secret_hash = _digest(secret)
        device.enrolled_at = now
        device.save()
        audit_record(
            actor=device.service_user,
            action=AuditAction.LOGIN,
            category=AuditCategory.SECURITY,
            object_type="kiosk_device",
            object_id=device.pk,
            detail={"event": "kiosk_enrolled"},
        )
    return device, secret


def kiosk_device_authenticate(*, device_id: int, secret: str) -> KioskDevice | None:
    """The enrolled, unrevoked device whose secret this is, or None."""
    device = (
        KioskDevice.objects.select_related("location", "service_user")
        .filter(pk=device_id, revoked_at__isnull=True)
        .exclude(secret_hash="")
        .first()
    )
    if device is None or not device.service_user.is_active:
        return None
    if not constant_time_compare(_digest(secret), device.secret_hash):
        return None
    return device


def kiosk_device_revoke(*, actor: Any, device: KioskDevice) -> KioskDevice:
    """Revoke a tablet at once: its cookie stops working on the next request."""
    _require(actor, A.PRACTICE_MANAGE)
    _require_location(actor, device.location_id, A.PRACTICE_MANAGE)
    with transaction.atomic():
        locked = KioskDevice.objects.select_for_update().get(pk=device.pk)
        if locked.revoked_at is not None:
            raise Conflict(MSG_REVOKED, code="revoked")
        locked.revoked_at = timezone.now()
        locked.enrol_code_hash = ""
        locked.save()
        User.objects.filter(pk=locked.service_user_id).update(is_active=False)
        audit_record(
            actor=actor,
            action=AuditAction.PRIVILEGE_CHANGE,
            category=AuditCategory.SECURITY,
            object_type="kiosk_device",
            object_id=locked.pk,
            detail={"event": "kiosk_revoked"},
        )
    return locked


def kiosk_device_lock(*, device: KioskDevice, misses: int) -> bool:
    """Lock the tablet after ``misses`` lookups found nobody; True if this call locked it.

    Written as the device (a security event in the audit log); a tablet already locked stays as it
    is (no second audit row when two requests trip the ceiling at once).
    """
    with transaction.atomic():
        locked = (
            KioskDevice.objects.filter(pk=device.pk, locked_at__isnull=True)
            .select_for_update()
            .first()
        )
        if locked is None:
            return False
        locked.locked_at = timezone.now()
        locked.save(update_fields=["locked_at", "updated_at"])
        audit_record(
            actor=device.service_user,
            action=AuditAction.UPDATE,
            category=AuditCategory.SECURITY,
            object_type="kiosk_device",
            object_id=locked.pk,
            detail={"event": "kiosk_locked", "misses": misses},
        )
    device.locked_at = locked.locked_at
    return True


def kiosk_device_unlock(*, actor: Any, device: KioskDevice) -> KioskDevice:
    """Unlock a tablet that the device-wide miss ceiling locked (audited)."""
    _require(actor, A.PRACTICE_MANAGE)
    _require_location(actor, device.location_id, A.PRACTICE_MANAGE)
    with transaction.atomic():
        locked = KioskDevice.objects.select_for_update().get(pk=device.pk)
        if locked.locked_at is None:
            raise Conflict(MSG_NOT_LOCKED, code="not_locked")
        locked_since = locked.locked_at
        locked.locked_at = None
        locked.save(update_fields=["locked_at", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.SECURITY,
            object_type="kiosk_device",
            object_id=locked.pk,
            detail={"event": "kiosk_unlocked", "locked_at": locked_since.isoformat()},
        )
    return locked


# --- the patient at the kiosk ----------------------------------------------------------------------


def _today_bounds(location: Location) -> tuple[dt.datetime, dt.datetime]:
    tz = location.tzinfo
    today = timezone.now().astimezone(tz).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def _todays_booked(device: KioskDevice) -> Any:
    start, end = _today_bounds(device.location)
    return (
        Appointment.objects.filter(
            location_id=device.location_id,
            status=AppointmentStatus.BOOKED,
            starts_at__gte=start,
            starts_at__lt=end,
            patient__merged_into__isnull=True,
        )
        .select_related("patient", "provider", "location")
        .order_by("starts_at", "pk")
    )


def _audit_found(device: KioskDevice, appointment: Appointment, how: str) -> None:
    audit_record(
        actor=device.service_user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.pk,
        detail={"event": "kiosk_identified", "by": how},
    )


def kiosk_find(
    *, device: KioskDevice, last_name: str, date_of_birth: dt.date
) -> Appointment | None:
    """Today's booked appointment at the device's location of the ONE patient with this last name
    (case- and accent-insensitive) and exact birth date; None when nobody or several patients match."""
    key = name_key(last_name)
    if not key:
        return None
    matches = list(
        _todays_booked(device).filter(
            patient__last_name_key=key, patient__date_of_birth=date_of_birth
        )
    )
    if len({appointment.patient_id for appointment in matches}) != 1:
        return None
    appointment = matches[0]
    _audit_found(device, appointment, "name_dob")
    return appointment


def kiosk_find_by_code(*, device: KioskDevice, code: str) -> Appointment | None:
    """The appointment a scanned check-in code names, if booked today at this device's location.

    Raises ``InvalidKioskCode`` for an edited or invented code; None for a valid code of another
    day (the code's own date, or an appointment since moved to another day), another location or
    an appointment no longer booked (the patient sees the desk).
    """
    appointment_id, day = kiosk_code_decode(code)
    start, _end = _today_bounds(device.location)
    if day != start.date():
        return None
    appointment = _todays_booked(device).filter(pk=appointment_id).first()
    if appointment is not None:
        _audit_found(device, appointment, "code")
    return appointment


def kiosk_appointment(*, device: KioskDevice, appointment_id: int) -> Appointment | None:
    """The in-progress appointment of the kiosk session (still booked, today, this location)."""
    return _todays_booked(device).filter(pk=appointment_id).first()


def _text(data: Mapping[str, Any], name: str) -> str:
    return " ".join(str(data.get(name) or "").split())


def _reported_insurance(
    data: Mapping[str, Any], files: Mapping[str, Any], errors: FieldErrors
) -> dict[str, Any] | None:
    """The structured insurance report, or None when the patient left the insurance part empty."""
    payer_raw = _text(data, "ins_payer")
    other = _text(data, "ins_payer_other")
    member_id = _text(data, "ins_member_id")
    group_number = _text(data, "ins_group_number")
    holder = _text(data, "ins_holder") or InsuranceHolder.SELF
    first = _text(data, "ins_sub_first_name")
    last = _text(data, "ins_sub_last_name")
    dob_raw = _text(data, "ins_sub_dob")
    photos = {name: files[name] for name in CARD_SIDES.values() if files.get(name)}
    if not (payer_raw or other or member_id or group_number or first or last or dob_raw or photos):
        return None
    payer: Payer | None = None
    if payer_raw == PAYER_OTHER or (not payer_raw and other):
        if not other:
            errors.add("ins_payer_other", MSG_PAYER_OTHER)
        elif len(other) > 120:
            errors.add("ins_payer_other", "Keep it under 120 characters.")
    elif payer_raw:
        payer = (
            Payer.objects.filter(pk=int(payer_raw), is_active=True).first()
            if payer_raw.isdigit()
            else None
        )
        if payer is None:
            errors.add("ins_payer", MSG_PAYER_LIST)
    else:
        errors.add("ins_payer", MSG_PAYER_CHOOSE)
    if not member_id:
        errors.add("ins_member_id", MSG_MEMBER_ID)
    elif len(member_id) > 40:
        errors.add("ins_member_id", "Keep it under 40 characters.")
    if len(group_number) > 40:
        errors.add("ins_group_number", "Keep it under 40 characters.")
    if holder not in InsuranceHolder.values:
        errors.add("ins_holder", "Choose who holds the insurance.")
    dob: dt.date | None = None
    if holder != InsuranceHolder.SELF:
        if not first or len(first) > 60:
            errors.add("ins_sub_first_name", "Enter the first name of the insurance holder.")
        if not last or len(last) > 60:
            errors.add("ins_sub_last_name", "Enter the last name of the insurance holder.")
        try:
            dob = dt.date.fromisoformat(dob_raw)
        except ValueError:
            errors.add("ins_sub_dob", "Enter the insurance holder's date of birth.")
        else:
            if dob > timezone.localdate() or dob.year < 1900:
                errors.add("ins_sub_dob", "Enter the insurance holder's date of birth.")
    for name, upload in photos.items():
        check_upload(upload, name, errors)  # the same checks as the coverage card images
    return {
        "payer_id": payer.pk if payer is not None else None,
        "payer_name": payer.name if payer is not None else other,
        "payer_other": payer is None,
        "member_id": member_id,
        "group_number": group_number,
        "holder": holder,
        "relationship": HOLDER_RELATIONSHIP.get(holder, ""),
        "subscriber_first_name": first if holder != InsuranceHolder.SELF else "",
        "subscriber_last_name": last if holder != InsuranceHolder.SELF else "",
        "subscriber_date_of_birth": dob.isoformat() if dob is not None else "",
    }


def kiosk_change_request_submit(
    *,
    device: KioskDevice,
    appointment: Appointment,
    data: Mapping[str, Any],
    files: Mapping[str, Any] | None = None,
) -> KioskChangeRequest:
    """Queue what the patient reported as changed for staff review (the record is not touched).

    Address and phone are free text checked for shape; insurance is structured: a payer from the
    practice's active payers (or "other" with a name), member ID, group number, who holds it (their
    name and birth date when it is not the patient) and optional card photos, which must pass the
    same image checks as coverage card uploads.
    """
    files = files or {}
    errors = FieldErrors()
    fields: dict[str, Any] = {}
    for name in CHANGE_FIELDS:
        value = _text(data, name)
        if not value:
            continue
        if len(value) > 100:
            errors.add(name, "Keep it under 100 characters.")
            continue
        fields[name] = value
    if "state" in fields:
        fields["state"] = fields["state"].upper()
        if not _STATE.match(fields["state"]):
            errors.add("state", "Enter the two-letter state code, e.g. NY.")
    if "postal_code" in fields and not _ZIP.match(fields["postal_code"]):
        errors.add("postal_code", "Enter a 5-digit ZIP code.")
    if "phone" in fields:
        try:
            fields["phone"] = phone_e164(fields["phone"])
        except InvalidPhone:
            errors.add("phone", "Enter a 10-digit phone number.")
    insurance = _reported_insurance(data, files, errors)
    if insurance is not None:
        fields[INSURANCE] = insurance
    if not fields and not errors.fields:
        errors.add("__all__", MSG_NOTHING_CHANGED)
    errors.raise_if_any()
    photos = {name: files[name] for name in CARD_SIDES.values() if files.get(name)}
    with transaction.atomic():
        change = KioskChangeRequest.objects.create(
            patient_id=appointment.patient_id,
            appointment=appointment,
            location_id=appointment.location_id,
            device=device,
            fields=fields,
            submitted_at=timezone.now(),
            **photos,
        )
        audit_record(
            actor=device.service_user,
            action=AuditAction.CREATE,
            category=AuditCategory.INSURANCE if insurance else AuditCategory.DEMOGRAPHICS,
            patient_id=appointment.patient_id,
            object_type="kiosk_change_request",
            object_id=change.pk,
            detail={
                "event": "kiosk_change_reported",
                "fields": sorted(fields),
                "card_photos": sorted(photos),
            },
        )
    return change


def kiosk_consents_due(*, appointment: Appointment) -> list[tuple[str, str]]:
    """(kind, label) of the consents the patient must sign before this visit."""
    kinds = {label: kind for kind, label in ConsentKind.choices}
    on = appointment.starts_at.astimezone(appointment.location.tzinfo).date()
    return [
        (kinds[label], label) for label in consents_due(patient_id=appointment.patient_id, on=on)
    ]


def kiosk_consents_sign(
    *, device: KioskDevice, appointment: Appointment, signature: str, has_read: bool
) -> list[str]:
    """Record the patient's electronic signature of every consent due; returns the kinds signed."""
    errors = FieldErrors()
    patient: Patient = appointment.patient
    expected = name_key(f"{patient.first_name}{patient.last_name}")
    if not expected or name_key(signature) != expected:
        errors.add("signature", MSG_SIGNATURE)
    if not has_read:
        errors.add("has_read", MSG_READ)
    errors.raise_if_any()
    due = [kind for kind, _label in kiosk_consents_due(appointment=appointment)]
    with transaction.atomic():
        for kind in due:
            consent_acknowledge(
                actor=device.service_user,
                patient=patient,
                kind=kind,
                method=ConsentMethod.ELECTRONIC,
            )
    return due


def kiosk_check_in(*, device: KioskDevice, appointment: Appointment) -> Visit:
    """The last step: the patient is in the waiting room ("arrived"), written as the device."""
    return visit_self_check_in(actor=device.service_user, appointment=appointment)


# --- staff review ----------------------------------------------------------------------------------


def _locked_pending(actor: Any, change: KioskChangeRequest) -> KioskChangeRequest:
    _require(actor, A.PATIENT_UPDATE)
    _require_location(actor, change.location_id, A.PATIENT_UPDATE)
    locked = KioskChangeRequest.objects.select_for_update().get(pk=change.pk)
    if locked.status != ChangeRequestStatus.PENDING:
        raise Conflict(MSG_REVIEWED, code="reviewed")
    return locked


def _patient_data(patient: Patient, fields: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: value for name, value in fields.items() if name in CHANGE_FIELDS and name != "phone"
    }
    if "phone" in fields:
        current = list(patient.phones.order_by("rank", "id"))
        primary_type = current[0].phone_type if current else "mobile"
        data["phones"] = [{"number": fields["phone"], "phone_type": primary_type}] + [
            {"number": p.number, "phone_type": p.phone_type, "sms_capable": p.sms_capable}
            for p in current[1:]
            if p.number != fields["phone"]
        ]
    return data


def _payer_for(reported: Mapping[str, Any], payer: Payer | None) -> Payer:
    """The payer to apply: the reviewer's pick, else the one the patient picked (still active)."""
    if payer is not None:
        if not payer.is_active:
            raise ValidationFailed(MSG_PAYER_INACTIVE, field="payer")
        return payer
    if reported.get("payer_id"):
        found = Payer.objects.filter(pk=reported["payer_id"], is_active=True).first()
        if found is not None:
            return found
    raise ValidationFailed(
        MSG_PAYER_PICK.format(name=reported.get("payer_name") or "another company"), field="payer"
    )


def _card_copy(stored: Any, side: str) -> SimpleUploadedFile:
    """The tablet's card photo as a fresh upload for the coverage service (checked again there)."""
    with stored.open("rb") as handle:
        content = handle.read()
    return SimpleUploadedFile(f"kiosk-card-{side}", content)


def _apply_insurance(
    actor: Any, change: KioskChangeRequest, reported: Mapping[str, Any], payer: Payer
) -> Coverage:
    """Create or update the patient's primary coverage through the patients services.

    Same payer as the active primary coverage: that coverage is updated. Another payer: the old
    primary is ended (cancelled, terminating yesterday) and a new primary is added. No primary yet: one
    is added. Nothing marks it verified: the desk confirms the card at check-in.
    """
    patient = Patient.objects.get(pk=change.patient_id)
    holder_dob = reported.get("subscriber_date_of_birth") or ""
    data: dict[str, Any] = {
        "member_id": reported.get("member_id", ""),
        "group_number": reported.get("group_number", ""),
        "relationship": reported.get("relationship") or SubscriberRelationship.SELF,
        "subscriber_first_name": reported.get("subscriber_first_name", ""),
        "subscriber_last_name": reported.get("subscriber_last_name", ""),
        "subscriber_date_of_birth": dt.date.fromisoformat(holder_dob) if holder_dob else None,
    }
    if data["relationship"] == SubscriberRelationship.SELF:
        data["subscriber_patient"] = None
    for side, name in CARD_SIDES.items():
        stored = getattr(change, name)
        if stored:
            data[name] = _card_copy(stored, side)
    primary = (
        Coverage.objects.filter(
            patient=patient, status=CoverageStatus.ACTIVE, priority=CoveragePriority.PRIMARY
        )
        .order_by("pk")
        .first()
    )
    if primary is not None and primary.payer_id == payer.pk:
        return coverage_update(actor=actor, coverage=primary, data=data)
    if primary is not None:
        tz = Location.objects.get(pk=change.location_id).tzinfo
        yesterday = timezone.now().astimezone(tz).date() - dt.timedelta(days=1)
        ended: dict[str, Any] = {"status": CoverageStatus.CANCELLED}
        if (primary.effective_on is None or primary.effective_on <= yesterday) and (
            primary.terminates_on is None or primary.terminates_on > yesterday
        ):
            ended["terminates_on"] = yesterday
        coverage_update(actor=actor, coverage=primary, data=ended)
    return coverage_create(
        actor=actor,
        patient=patient,
        data={"payer": payer, "priority": CoveragePriority.PRIMARY, **data},
    )


def kiosk_change_apply(
    *, actor: Any, change: KioskChangeRequest, payer: Payer | None = None
) -> KioskChangeRequest:
    """Apply a reported change: address and phone through ``patient_update``, insurance through the
    coverage services (``payer`` is the reviewer's pick; required when the patient typed "other").

    All or nothing: one transaction, so a refused coverage leaves the address untouched too. The
    coverage stays unverified; the desk confirms the card at check-in. A legacy free-text insurance
    note (before insurance reports were structured) is not applied.
    """
    with transaction.atomic():
        locked = _locked_pending(actor, change)
        reported = locked.fields.get(INSURANCE)
        coverage: Coverage | None = None
        if isinstance(reported, dict):
            _require(actor, A.COVERAGE_EDIT)
            chosen = _payer_for(reported, payer)
            coverage = _apply_insurance(actor, locked, reported, chosen)
        patient = Patient.objects.get(pk=locked.patient_id)
        data = _patient_data(patient, locked.fields)
        if data:
            patient_update(actor=actor, patient=patient, data=data)
        locked.status = ChangeRequestStatus.APPLIED
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.coverage = coverage
        locked.save()
        detail: dict[str, Any] = {"event": "kiosk_change_applied", "fields": sorted(locked.fields)}
        if coverage is not None:
            detail.update(coverage_id=coverage.pk, coverage_verified=False)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.INSURANCE if coverage else AuditCategory.DEMOGRAPHICS,
            patient_id=locked.patient_id,
            object_type="kiosk_change_request",
            object_id=locked.pk,
            detail=detail,
        )
    return locked


def kiosk_change_reject(
    *, actor: Any, change: KioskChangeRequest, reason: str
) -> KioskChangeRequest:
    """Reject a reported change with a reason; the record stays as it was."""
    reason = (reason or "").strip()[:200]
    if not reason:
        raise ValidationFailed(MSG_REASON, field="reason")
    with transaction.atomic():
        locked = _locked_pending(actor, change)
        locked.status = ChangeRequestStatus.REJECTED
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.reject_reason = reason
        locked.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.DEMOGRAPHICS,
            patient_id=locked.patient_id,
            object_type="kiosk_change_request",
            object_id=locked.pk,
            detail={"event": "kiosk_change_rejected"},
        )
    return locked
