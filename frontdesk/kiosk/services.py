"""Writing for the kiosk: register, enrol and revoke devices; a patient's self check-in steps; review.

The patient-facing services act as the device's service user ("kiosk <name>"): every audit row, flow
event and consent they write names the tablet. Staff services check the actor's permission and
location scope (another location's device or request looks absent: 404).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

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
from frontdesk.kiosk.choices import CHANGE_FIELDS, ChangeRequestStatus
from frontdesk.kiosk.codes import kiosk_code_decode
from frontdesk.kiosk.models import KioskChangeRequest, KioskDevice
from frontdesk.patients.models import Patient
from frontdesk.patients.normalize import InvalidPhone, name_key, phone_e164
from frontdesk.patients.services import patient_update
from frontdesk.practice.models import Location, StaffLocation
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


def kiosk_change_request_submit(
    *, device: KioskDevice, appointment: Appointment, data: dict[str, str]
) -> KioskChangeRequest:
    """Queue what the patient typed as changed for staff review (the record is not touched)."""
    errors = FieldErrors()
    fields: dict[str, str] = {}
    for name in CHANGE_FIELDS:
        value = " ".join(str(data.get(name) or "").split())
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
    if not fields and not errors.fields:
        errors.add("__all__", MSG_NOTHING_CHANGED)
    errors.raise_if_any()
    with transaction.atomic():
        change = KioskChangeRequest.objects.create(
            patient_id=appointment.patient_id,
            appointment=appointment,
            location_id=appointment.location_id,
            device=device,
            fields=fields,
            submitted_at=timezone.now(),
        )
        audit_record(
            actor=device.service_user,
            action=AuditAction.CREATE,
            category=AuditCategory.DEMOGRAPHICS,
            patient_id=appointment.patient_id,
            object_type="kiosk_change_request",
            object_id=change.pk,
            detail={"event": "kiosk_change_reported", "fields": sorted(fields)},
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
        name: value for name, value in fields.items() if name not in ("phone", "insurance")
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


def kiosk_change_apply(*, actor: Any, change: KioskChangeRequest) -> KioskChangeRequest:
    """Apply the reported address and phone through ``patient_update`` (field history and audit).

    A reported insurance change is not applied automatically: the reviewer updates the coverage on
    the chart (it needs a payer and plan picked from the lists).
    """
    with transaction.atomic():
        locked = _locked_pending(actor, change)
        patient = Patient.objects.get(pk=locked.patient_id)
        data = _patient_data(patient, locked.fields)
        if data:
            patient_update(actor=actor, patient=patient, data=data)
        locked.status = ChangeRequestStatus.APPLIED
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.DEMOGRAPHICS,
            patient_id=locked.patient_id,
            object_type="kiosk_change_request",
            object_id=locked.pk,
            detail={"event": "kiosk_change_applied", "fields": sorted(locked.fields)},
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
