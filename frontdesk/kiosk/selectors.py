"""Reading for the kiosk screens: devices (admin) and the review queue of reported changes."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.kiosk.choices import CHANGE_FIELDS, ChangeRequestStatus
from frontdesk.kiosk.models import KioskChangeRequest, KioskDevice
from frontdesk.patients.normalize import phone_display


def kiosk_devices(*, user: Any) -> list[KioskDevice]:
    """The tablets of the user's locations, newest registration last."""
    return list(
        KioskDevice.objects.restrict(user, A.PRACTICE_MANAGE)
        .select_related("location")
        .order_by("location__name", "name")
    )


def kiosk_device_get(*, user: Any, pk: int) -> KioskDevice | None:
    return KioskDevice.objects.restrict(user, A.PRACTICE_MANAGE).filter(pk=pk).first()


def kiosk_change_get(*, user: Any, pk: int) -> KioskChangeRequest | None:
    return KioskChangeRequest.objects.restrict(user, A.PATIENT_UPDATE).filter(pk=pk).first()


def kiosk_changes_pending(*, user: Any) -> list[dict[str, Any]]:
    """Pending changes reported at the kiosks of the user's locations (one audit row per patient)."""
    rows = list(
        KioskChangeRequest.objects.restrict(user, A.PATIENT_UPDATE)
        .filter(status=ChangeRequestStatus.PENDING)
        .select_related("patient", "appointment", "location", "device")
        .prefetch_related("patient__phones")[:200]
    )
    items = []
    for change in rows:
        patient = change.patient
        phones = list(patient.phones.all())
        current = {
            "address_line1": patient.address_line1,
            "address_line2": patient.address_line2,
            "city": patient.city,
            "state": patient.state,
            "postal_code": patient.postal_code,
            "phone": phone_display(phones[0].number) if phones else "",
            "insurance": "",
        }
        items.append(
            {
                "change": change,
                "fields": [
                    {
                        "label": CHANGE_FIELDS.get(name, name),
                        "old": current.get(name, ""),
                        "new": phone_display(value) if name == "phone" else value,
                    }
                    for name, value in change.fields.items()
                ],
            }
        )
    if rows:
        with transaction.atomic():
            for patient_id in sorted({change.patient_id for change in rows}):
                audit_record(
                    actor=user,
                    action=AuditAction.READ,
                    category=AuditCategory.DEMOGRAPHICS,
                    patient_id=patient_id,
                    object_type="kiosk_change_queue",
                    detail={"view": "kiosk_changes"},
                )
    return items
