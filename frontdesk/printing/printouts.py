"""Print jobs: select what a print needs, draw it, and audit it (one ``print`` row per document).

Reading PHI onto paper is a disclosure-grade event: every document writes one audit row naming the
appointment ids it holds (ids only, never names). ``user=None`` is the system (command line); its
rows are attributed to ``system_name``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.ledger.selectors import balances_for_patients
from frontdesk.practice.models import Location, Organization
from frontdesk.printing import pdf as drawing
from frontdesk.printing.selectors import EncounterFormConfigs, appointments_to_print


@dataclass(frozen=True)
class PrintedDocument:
    content: bytes
    appointment_ids: list[int]

    @property
    def pages_expected(self) -> int:
        return len(self.appointment_ids)


def _organization(location: Location) -> Organization:
    return location.organization


def location_schedule_pdf(
    *,
    user: Any | None,
    location: Location,
    day: dt.date,
    provider_id: int | None = None,
    system_name: str = "system (print)",
) -> PrintedDocument:
    """The location's day schedule: one page per provider (or only ``provider_id``'s page)."""
    appointments = appointments_to_print(
        user=user, location=location, day=day, provider_id=provider_id
    )
    pdf = drawing.new_document("Day schedule")
    drawing.draw_location_schedule(pdf, location=location, day=day, appointments=appointments)
    ids = [a.pk for a in appointments]
    audit_record(
        actor=user,
        actor_name=system_name if user is None else None,
        action=AuditAction.PRINT,
        category=AuditCategory.SCHEDULE,
        object_type="appointment",
        detail={
            "view": "location_schedule_pdf",
            "location_id": location.pk,
            "provider_id": provider_id,
            "date": day.isoformat(),
            "appointment_ids": ids,
        },
    )
    return PrintedDocument(bytes(pdf.output()), ids)


def draw_encounter_forms(
    *,
    appointments: list[Any],
    location: Location,
    day: dt.date,
    progress: Callable[[int], None] | None = None,
) -> tuple[bytes, int]:
    """Draw one form per appointment (in the given order); return the PDF and its page count.

    Draws and nothing else: the caller selected the rows and audits. ``progress(done)`` is called
    after each form (the background batch reports it). An empty list gives a one-page "nothing to
    print" document.
    """
    configs = EncounterFormConfigs()
    organization = _organization(location)
    balances = balances_for_patients(patient_ids=[a.patient_id for a in appointments])
    pdf = drawing.new_document("Encounter forms")
    for done, appointment in enumerate(appointments, start=1):
        drawing.draw_encounter_form(
            pdf,
            appointment=appointment,
            organization=organization,
            config=configs.for_provider(appointment.provider),
            balance=balances.get(appointment.patient_id),
        )
        if progress is not None:
            progress(done)
    if not appointments:
        pdf.add_page()
        pdf.set_font("Helvetica", "", 12)
        pdf.cell(0, 10, f"No appointments at this location on {day:%m/%d/%Y}.")
    return bytes(pdf.output()), pdf.page_no()


def encounter_forms_pdf(
    *,
    user: Any | None,
    location: Location,
    day: dt.date,
    appointment_id: int | None = None,
    system_name: str = "system (print)",
) -> PrintedDocument:
    """Encounter forms of the location's day (or of one appointment): one page per appointment,
    sorted by provider then time. An empty day gives a one-page "nothing to print" document."""
    appointments = appointments_to_print(
        user=user, location=location, day=day, appointment_id=appointment_id
    )
    content, _pages = draw_encounter_forms(appointments=appointments, location=location, day=day)
    ids = [a.pk for a in appointments]
    audit_record(
        actor=user,
        actor_name=system_name if user is None else None,
        action=AuditAction.PRINT,
        category=AuditCategory.DEMOGRAPHICS,
        patient_id=appointments[0].patient_id if len(appointments) == 1 else None,
        object_type="appointment",
        object_id=ids[0] if len(ids) == 1 else "",
        detail={
            "view": "encounter_forms_pdf",
            "location_id": location.pk,
            "date": day.isoformat(),
            "appointment_ids": ids,
        },
    )
    return PrintedDocument(content, ids)
