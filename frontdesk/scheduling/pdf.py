"""Printable day schedule of one provider at one location (fpdf2); every print is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fpdf import FPDF

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling.models import Appointment


def _latin(text: str) -> str:
    """The core PDF fonts are Latin-1; anything else is replaced rather than failing the print."""
    return text.encode("latin-1", "replace").decode("latin-1")


def draw_day_table(pdf: FPDF, *, title: str, rows: list[Appointment], tz: Any) -> None:
    """Draw a titled table of appointments (time, patient, DOB, type, status) on the current page.

    Shared with the per-location day schedule of ``frontdesk.printing``; rows need ``patient`` and
    ``appointment_type`` loaded.
    """
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, _latin(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 10)
    widths = (22, 70, 28, 45, 25)
    for width, head in zip(widths, ("Time", "Patient", "DOB", "Type", "Status"), strict=True):
        pdf.cell(width, 7, head, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for a in rows:
        p = a.patient
        cells = (
            a.starts_at.astimezone(tz).strftime("%H:%M"),
            f"{p.last_name}, {p.first_name} ({p.mrn})",
            p.date_of_birth.strftime("%m/%d/%Y"),
            a.appointment_type.name,
            a.get_status_display(),
        )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 7, _latin(text)[:40], border=1)
        pdf.ln()
    if not rows:
        pdf.cell(0, 8, "No appointments.", new_x="LMARGIN", new_y="NEXT")


def day_schedule_pdf(*, user: Any, location: Location, provider: Provider, day: dt.date) -> bytes:
    tz = location.tzinfo
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    rows = list(
        Appointment.objects.restrict(user, "schedule.view")
        .filter(location=location, provider=provider, starts_at__gte=start, starts_at__lt=end)
        .select_related("patient", "appointment_type")
        .order_by("starts_at", "pk")
    )
    pdf = FPDF(orientation="portrait", format="Letter")
    pdf.set_title("Day schedule")
    pdf.add_page()
    title = f"{provider.first_name} {provider.last_name} - {location.name} - {day:%A %d %B %Y}"
    draw_day_table(pdf, title=title, rows=rows, tz=tz)
    audit_record(
        actor=user,
        action=AuditAction.PRINT,
        category=AuditCategory.SCHEDULE,
        object_type="appointment",
        detail={
            "view": "day_pdf",
            "location_id": location.pk,
            "provider_id": provider.pk,
            "date": day.isoformat(),
            "results": len(rows),
        },
    )
    return bytes(pdf.output())
