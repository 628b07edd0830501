"""Writing the disclosure log. Callers are the services that send PHI out (clearinghouse exchanges)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import FieldErrors
from frontdesk.disclosures.choices import Purpose
from frontdesk.disclosures.models import Disclosure


@dataclass(frozen=True)
class DisclosureEntry:
    """One disclosure to record: the patient, who received what, why, and what carried it."""

    patient_id: int
    recipient: str
    purpose: str
    description: str
    recipient_identifier: str = ""
    reference: str = ""
    at: dt.datetime | None = None  # default: now


def disclosures_record(*, actor: Any, entries: Sequence[DisclosureEntry]) -> list[Disclosure]:
    """Append ``entries`` to the disclosure log in one transaction, with one audit row for the call.

    The caller has already decided the disclosure was allowed (it is the service that sent the data);
    this records it. Bad entries (unknown purpose, empty recipient or description, naive time) refuse
    the whole call.
    """
    if not entries:
        return []
    errors = FieldErrors()
    now = timezone.now()
    for number, entry in enumerate(entries, start=1):
        if entry.purpose not in Purpose.values:
            errors.add("purpose", f"Entry {number}: unknown purpose {entry.purpose!r}.")
        if not entry.recipient.strip():
            errors.add("recipient", f"Entry {number}: name the recipient.")
        if not entry.description.strip():
            errors.add("description", f"Entry {number}: say what was disclosed.")
        if entry.at is not None and timezone.is_naive(entry.at):
            errors.add("at", f"Entry {number}: the time must carry its timezone.")
        if not entry.patient_id:
            errors.add("patient_id", f"Entry {number}: name the patient.")
    errors.raise_if_any()
    rows = [
        Disclosure(
            patient_id=entry.patient_id,
            disclosed_at=entry.at or now,
            recipient=entry.recipient.strip()[:200],
            recipient_identifier=entry.recipient_identifier.strip()[:80],
            purpose=entry.purpose,
            description=entry.description.strip()[:500],
            reference=entry.reference.strip()[:100],
            actor_id=getattr(actor, "pk", None),
        )
        for entry in entries
    ]
    with transaction.atomic():
        created = Disclosure.objects.bulk_create(rows)
        patient_ids = sorted({entry.patient_id for entry in entries})
        audit_record(
            actor=actor,
            action=AuditAction.DISCLOSE,
            category=AuditCategory.INSURANCE,
            patient_id=patient_ids[0] if len(patient_ids) == 1 else None,
            object_type="disclosure",
            object_id=created[0].pk or "" if len(created) == 1 else "",
            detail={
                "count": len(created),
                "patient_ids": patient_ids,
                "purposes": sorted({entry.purpose for entry in entries}),
                "references": sorted({entry.reference for entry in entries if entry.reference})[
                    :20
                ],
            },
        )
    return created
