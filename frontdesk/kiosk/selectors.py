"""Reading for the kiosk screens: devices (admin) and the review queue of reported changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.kiosk.choices import CARD_SIDES, CHANGE_FIELDS, INSURANCE, ChangeRequestStatus
from frontdesk.kiosk.models import KioskChangeRequest, KioskDevice
from frontdesk.patients.choices import CoverageStatus, SubscriberRelationship
from frontdesk.patients.models import Coverage
from frontdesk.patients.normalize import phone_display
from frontdesk.practice.models import Payer


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


def _holder_text(relationship: str, first: str, last: str, dob: Any) -> str:
    label = dict(SubscriberRelationship.choices).get(relationship, "")
    if not relationship or relationship == SubscriberRelationship.SELF:
        return label
    who = " ".join(part for part in (first, last) if part)
    born = dob.isoformat() if isinstance(dob, dt.date) else str(dob or "")
    return f"{label}: {who}" + (f", born {born}" if born else "")


def _coverage_rows(coverage: Coverage | None) -> dict[str, str]:
    if coverage is None:
        return dict.fromkeys(INSURANCE_ROWS, "")
    return {
        "payer": coverage.payer.name + (f" · {coverage.plan.name}" if coverage.plan else ""),
        "member_id": coverage.member_id,
        "group_number": coverage.group_number,
        "holder": _holder_text(
            coverage.relationship,
            coverage.subscriber_first_name,
            coverage.subscriber_last_name,
            coverage.subscriber_date_of_birth,
        ),
        "cards": ", ".join(side for side, name in CARD_SIDES.items() if getattr(coverage, name)),
    }


def _reported_rows(change: KioskChangeRequest, reported: dict[str, Any]) -> dict[str, str]:
    payer = str(reported.get("payer_name") or "")
    if reported.get("payer_other"):
        payer = f"Other: {payer}"
    return {
        "payer": payer,
        "member_id": str(reported.get("member_id") or ""),
        "group_number": str(reported.get("group_number") or ""),
        "holder": _holder_text(
            str(reported.get("relationship") or ""),
            str(reported.get("subscriber_first_name") or ""),
            str(reported.get("subscriber_last_name") or ""),
            reported.get("subscriber_date_of_birth") or "",
        ),
        "cards": ", ".join(side for side, name in CARD_SIDES.items() if getattr(change, name)),
    }


INSURANCE_ROWS: dict[str, str] = {
    "payer": "Insurance company",
    "member_id": "Member ID",
    "group_number": "Group number",
    "holder": "Relationship to the insurance holder",
    "cards": "Card photos",
}


def kiosk_changes_pending(*, user: Any) -> list[dict[str, Any]]:
    """Pending changes reported at the kiosks of the user's locations, on file vs reported side by
    side (one audit row per patient; insurance category when an insurance change is among them)."""
    rows = list(
        KioskChangeRequest.objects.restrict(user, A.PATIENT_UPDATE)
        .filter(status=ChangeRequestStatus.PENDING)
        .select_related("patient", "appointment", "location", "device")
        .prefetch_related("patient__phones")[:200]
    )
    insured = {
        change.patient_id for change in rows if isinstance(change.fields.get(INSURANCE), dict)
    }
    primaries: dict[int, Coverage] = {}
    for coverage in (
        Coverage.objects.filter(patient_id__in=insured, status=CoverageStatus.ACTIVE)
        .select_related("payer", "plan")
        .order_by("patient_id", "priority", "pk")
    ):
        primaries.setdefault(coverage.patient_id, coverage)
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
        }
        reported = change.fields.get(INSURANCE)
        insurance: list[dict[str, str]] = []
        if isinstance(reported, dict):
            old = _coverage_rows(primaries.get(change.patient_id))
            new = _reported_rows(change, reported)
            insurance = [
                {"label": label, "old": old[name], "new": new[name]}
                for name, label in INSURANCE_ROWS.items()
            ]
        items.append(
            {
                "change": change,
                "fields": [
                    {
                        "label": CHANGE_FIELDS[name],
                        "old": current.get(name, ""),
                        "new": phone_display(value) if name == "phone" else value,
                    }
                    for name, value in change.fields.items()
                    if name in CHANGE_FIELDS
                ],
                "insurance": insurance,
                # Before insurance reports were structured: a free-text note, shown, never applied.
                "insurance_note": reported if isinstance(reported, str) else "",
                "reported_payer_id": reported.get("payer_id")
                if isinstance(reported, dict)
                else None,
                "payer_other": bool(isinstance(reported, dict) and reported.get("payer_other")),
                "cards": [side for side, name in CARD_SIDES.items() if getattr(change, name)],
            }
        )
    if rows:
        with transaction.atomic():
            for patient_id in sorted({change.patient_id for change in rows}):
                audit_record(
                    actor=user,
                    action=AuditAction.READ,
                    category=(
                        AuditCategory.INSURANCE
                        if patient_id in insured
                        else AuditCategory.DEMOGRAPHICS
                    ),
                    patient_id=patient_id,
                    object_type="kiosk_change_queue",
                    detail={"view": "kiosk_changes"},
                )
    return items


def kiosk_payers() -> list[Payer]:
    """The practice's active payers (the tablet's list and the reviewer's pick)."""
    return list(Payer.objects.filter(is_active=True).order_by("name", "pk"))


def kiosk_change_card(*, user: Any, pk: int, side: str) -> tuple[KioskChangeRequest, Any] | None:
    """A card photo reported at the kiosk (front or back), with its read audited; None if absent."""
    if side not in CARD_SIDES:
        return None
    change = kiosk_change_get(user=user, pk=pk)
    if change is None:
        return None
    stored = getattr(change, CARD_SIDES[side])
    if not stored:
        return None
    audit_record(
        actor=user,
        action=AuditAction.READ,
        category=AuditCategory.INSURANCE,
        patient_id=change.patient_id,
        object_type="kiosk_change_card",
        object_id=change.pk,
        detail={"side": side},
    )
    return change, stored
