"""Printed paper of the desk's day (fpdf2): the location's day schedule, encounter forms (superbills)
and the downtime face sheets. Functions here draw; the callers in ``printing.prints`` and
``printing.downtime`` select the rows and write the audit row.

Text from the record goes through ``_latin`` (the core PDF fonts are Latin-1) and is drawn as text,
never interpreted, so a hostile name prints as the characters it is.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import segno
from fpdf import FPDF

from frontdesk.core.money import format_money
from frontdesk.practice.models import Location, Organization
from frontdesk.printing.choices import CodeSectionKind
from frontdesk.printing.formcode import encode_form_code
from frontdesk.printing.models import EncounterFormConfig
from frontdesk.scheduling.models import Appointment
from frontdesk.scheduling.pdf import _latin, draw_day_table


def balance_text(balance: Decimal | None) -> str:
    """The guarantor's patient-responsibility balance as a printed line (None: nothing on file)."""
    if balance is None or balance == 0:
        return "$0.00"
    if balance < 0:
        return f"{format_money(-balance)} credit on account"
    return f"{format_money(balance)} due"


QR_SIZE_MM = 32
LINE_MM = 4.8
HEADING_MM = 7.0  # 1 above + 5.5 bar + 0.5 below
CODE_ROW_MM = 4.4
CODE_COLUMNS = 3
FOOTER_MM = 34.0  # "other codes" lines and the signature line
# Height left for the checkbox sections on a one-page form (header, visit, patient and insurance
# blocks at their largest above; the footer below). ``codes_height`` must stay within it, so that
# every form is exactly one page and its QR code is on it.
CODES_BUDGET_MM = 116.0


def new_document(title: str) -> FPDF:
    pdf = FPDF(orientation="portrait", format="Letter")
    pdf.set_title(title)
    pdf.set_creator("FrontDesk")
    pdf.set_auto_page_break(auto=True, margin=12)
    return pdf


def _address(place: Any) -> str:
    city_line = " ".join(
        part
        for part in (f"{place.city}," if place.city else "", place.state, place.postal_code)
        if part
    )
    return ", ".join(part for part in (place.address_line1, place.address_line2, city_line) if part)


def _patient_name(patient: Any) -> str:
    return f"{patient.last_name}, {patient.first_name}" + (
        f" {patient.middle_name[:1]}." if patient.middle_name else ""
    )


def _phone(patient: Any) -> str:
    phones = list(patient.phones.all())
    return phones[0].number if phones else ""


def _coverages(patient: Any) -> list[Any]:
    coverages = getattr(patient, "active_coverages", None)
    if coverages is None:
        coverages = [c for c in patient.coverages.all() if c.status == "active"]
    return sorted(coverages, key=lambda c: c.priority)


def _coverage_line(coverage: Any) -> str:
    plan = f" / {coverage.plan.name}" if coverage.plan_id else ""
    group = f", group {coverage.group_number}" if coverage.group_number else ""
    return (
        f"{coverage.get_priority_display()}: {coverage.payer.name}{plan}, "
        f"member {coverage.member_id}{group}"
    )


def _guarantor(patient: Any) -> str:
    kind = patient.guarantor_kind
    if kind == "self" or not kind:
        return "Self"
    if kind == "patient" and patient.guarantor_patient_id:
        other = patient.guarantor_patient
        return f"{other.last_name}, {other.first_name} (MRN {other.mrn})"
    parts = [patient.guarantor_name, patient.get_guarantor_relationship_display()]
    if patient.guarantor_phone:
        parts.append(patient.guarantor_phone)
    return ", ".join(part for part in parts if part) or "Another person"


def _line(pdf: FPDF, label: str, value: str, *, width: float = 0) -> None:
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(28, LINE_MM, _latin(label))
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(width, LINE_MM, _latin(value)[:110], new_x="LMARGIN", new_y="NEXT")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(1)
    pdf.set_font("Helvetica", "B", 10)
    pdf.set_fill_color(225, 225, 225)
    pdf.cell(0, 5.5, _latin(text), fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(0.5)


def codes_height(sections: list[dict[str, Any]]) -> float:
    """Millimetres the checkbox sections take on an encounter form."""
    rows = sum(-(-len(section["codes"]) // CODE_COLUMNS) for section in sections)
    return len(sections) * HEADING_MM + rows * CODE_ROW_MM


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut (with an ellipsis) to fit ``width`` in the current font."""
    text = _latin(text)
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "...") > width:
        text = text[:-1]
    return text + "..."


def qr_png(text: str) -> io.BytesIO:
    """A QR code of ``text`` as a PNG (error correction M, quiet zone 4 modules)."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    buffer.seek(0)
    return buffer


def draw_encounter_form(
    pdf: FPDF,
    *,
    appointment: Appointment,
    organization: Organization | None,
    config: EncounterFormConfig | None,
    balance: Decimal | None = None,
) -> None:
    """One encounter form (superbill) on a new page; ``balance`` is the guarantor's balance."""
    location: Location = appointment.location
    provider: Any = appointment.provider
    patient: Any = appointment.patient
    tz = location.tzinfo
    code = encode_form_code(appointment.pk)
    pdf.add_page()
    # One page per form, always: the blocks below are sized to fit (``CODES_BUDGET_MM``).
    pdf.set_auto_page_break(auto=False)
    top = pdf.get_y()
    pdf.image(qr_png(code), x=pdf.w - pdf.r_margin - QR_SIZE_MM, y=top, w=QR_SIZE_MM)
    pdf.set_xy(pdf.w - pdf.r_margin - QR_SIZE_MM - 10, top + QR_SIZE_MM)
    pdf.set_font("Courier", "", 7)
    pdf.cell(QR_SIZE_MM + 10, 4, code, align="C")
    pdf.set_xy(pdf.l_margin, top)
    text_width = pdf.w - pdf.l_margin - pdf.r_margin - QR_SIZE_MM - 4
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(text_width, 7, _latin(organization.name if organization else location.name))
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    ids = []
    if organization is not None and organization.npi:
        ids.append(f"Group NPI {organization.npi}")
    if organization is not None and organization.tax_id:
        ids.append(f"Tax ID {organization.tax_id}")
    if location.npi:
        ids.append(f"Location NPI {location.npi}")
    for text in (
        f"{location.name} - {_address(location)}",
        "  ".join(ids),
        f"Phone {location.phone}" if location.phone else "",
    ):
        if text:
            pdf.cell(text_width, 4.5, _latin(text)[:100], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(text_width, 8, "ENCOUNTER FORM", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE_MM + 5))

    starts = appointment.starts_at.astimezone(tz)
    _heading(pdf, "Visit")
    _line(pdf, "Date / time", f"{starts:%A %m/%d/%Y %H:%M} ({location.timezone})")
    _line(pdf, "Type", f"{appointment.appointment_type.name} ({appointment.appointment_type.code})")
    credentials = f", {provider.credentials}" if provider.credentials else ""
    _line(
        pdf,
        "Provider",
        f"{provider.first_name} {provider.last_name}{credentials} - NPI {provider.npi}",
    )
    _line(pdf, "Appointment", f"#{appointment.pk}")

    _heading(pdf, "Patient")
    _line(pdf, "Name", f"{_patient_name(patient)}  (MRN {patient.mrn})")
    _line(
        pdf,
        "DOB / sex",
        f"{patient.date_of_birth:%m/%d/%Y} / {patient.get_sex_at_birth_display() or '-'}",
    )
    _line(pdf, "Address", _address(patient) or "-")
    _line(pdf, "Phone", _phone(patient) or "-")
    _line(pdf, "Guarantor", _guarantor(patient))

    _heading(pdf, "Insurance")
    coverages = _coverages(patient)[:2]
    if not coverages:
        _line(pdf, "Coverage", "None on file (self-pay?)")
    for coverage in coverages:
        _line(pdf, coverage.get_priority_display(), _coverage_line(coverage).split(": ", 1)[1])
    _line(pdf, "Balance", balance_text(balance))

    sections = list(config.sections) if config is not None else []
    if not sections:
        _heading(pdf, "Procedures and diagnoses")
        pdf.set_font("Helvetica", "I", 9)
        pdf.cell(0, 5, "No favourite codes configured: write them below.")
        pdf.ln()
    _draw_code_sections(pdf, sections)
    pdf.set_y(max(pdf.get_y(), pdf.h - pdf.b_margin - FOOTER_MM))
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 9)
    for label in ("Other procedures", "Other diagnoses", "Follow-up"):
        pdf.cell(0, 7, f"{label}: " + "_" * 80, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.cell(0, 7, "Provider signature: " + "_" * 45 + "   Date: " + "_" * 15)
    pdf.set_auto_page_break(auto=True, margin=12)


def _draw_code_sections(pdf: FPDF, sections: list[dict[str, Any]]) -> None:
    """Checkbox sections in three columns; never past the footer (a form is one page)."""
    bottom = pdf.h - pdf.b_margin - FOOTER_MM
    column_width = (pdf.w - pdf.l_margin - pdf.r_margin) / CODE_COLUMNS
    left_out = 0
    for section in sections:
        codes = section["codes"]
        if pdf.get_y() + HEADING_MM + CODE_ROW_MM > bottom:
            left_out += len(codes)
            continue
        kind = "CPT/HCPCS" if section["kind"] == CodeSectionKind.PROCEDURE else "ICD-10-CM"
        _heading(pdf, f"{section['title']} ({kind})")
        pdf.set_font("Helvetica", "", 8)
        for start in range(0, len(codes), CODE_COLUMNS):
            y = pdf.get_y()
            if y + CODE_ROW_MM > bottom:
                left_out += len(codes) - start
                break
            for column, entry in enumerate(codes[start : start + CODE_COLUMNS]):
                x = pdf.l_margin + column * column_width
                pdf.rect(x + 1, y + 0.6, 3.2, 3.2)
                modifier = f"-{entry['modifier']}" if entry.get("modifier") else ""
                pdf.set_xy(x + 5.5, y)
                text = f"{entry['code']}{modifier} {entry['label']}"
                pdf.cell(column_width - 6, CODE_ROW_MM, _fit(pdf, text, column_width - 7))
            pdf.set_xy(pdf.l_margin, y + CODE_ROW_MM)
    if left_out:
        pdf.set_font("Helvetica", "I", 8)
        pdf.cell(0, 5, f"{left_out} more configured code(s) did not fit on the page.")
        pdf.ln()


def draw_location_schedule(
    pdf: FPDF, *, location: Location, day: dt.date, appointments: list[Appointment]
) -> None:
    """One page per provider with appointments (the provider layout of ``scheduling.pdf``)."""
    by_provider: dict[int, list[Appointment]] = {}
    for appointment in appointments:
        by_provider.setdefault(appointment.provider_id, []).append(appointment)
    if not by_provider:
        pdf.add_page()
        draw_day_table(pdf, title=f"{location.name} - {day:%A %d %B %Y}", rows=[], tz=None)
        return
    for rows in by_provider.values():
        provider: Any = rows[0].provider
        pdf.add_page()
        title = f"{provider.first_name} {provider.last_name} - {location.name} - {day:%A %d %B %Y}"
        draw_day_table(pdf, title=title, rows=rows, tz=location.tzinfo)


def draw_face_sheet(
    pdf: FPDF, *, appointments: list[Appointment], balance: Decimal | None = None
) -> None:
    """A patient's face sheet (demographics, insurance, guarantor, balance, alerts) and their visits
    in the packet's window; ``appointments`` all belong to the same patient."""
    first = appointments[0]
    patient: Any = first.patient
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin(f"Face sheet - {_patient_name(patient)}"), new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Demographics")
    _line(pdf, "MRN", patient.mrn)
    _line(
        pdf,
        "DOB / sex",
        f"{patient.date_of_birth:%m/%d/%Y} / {patient.get_sex_at_birth_display() or '-'}",
    )
    if patient.preferred_name:
        _line(pdf, "Preferred name", patient.preferred_name)
    _line(pdf, "Address", _address(patient) or "-")
    _line(pdf, "Phones", ", ".join(p.number for p in patient.phones.all()) or "-")
    _line(pdf, "E-mail", patient.email or "-")
    _line(pdf, "Language", patient.preferred_language or "-")
    if patient.emergency_contact_name:
        _line(
            pdf,
            "Emergency",
            f"{patient.emergency_contact_name} ({patient.emergency_contact_relationship}) "
            f"{patient.emergency_contact_phone}",
        )
    _line(pdf, "Guarantor", _guarantor(patient))
    _heading(pdf, "Insurance")
    coverages = _coverages(patient)
    if not coverages:
        _line(pdf, "Coverage", "None on file")
    for coverage in coverages:
        _line(pdf, coverage.get_priority_display(), _coverage_line(coverage).split(": ", 1)[1])
    _line(pdf, "Balance", balance_text(balance))
    _heading(pdf, "Alerts")
    alerts = []
    if patient.interpreter_needed:
        alerts.append("Interpreter needed")
    if patient.is_restricted:
        alerts.append("Confidential record")
    if patient.deceased_on:
        alerts.append(f"Deceased {patient.deceased_on:%m/%d/%Y}")
    _line(pdf, "Flags", "; ".join(alerts) or "None")
    _heading(pdf, "Visits in this packet")
    for appointment in appointments:
        provider: Any = appointment.provider
        starts = appointment.starts_at.astimezone(appointment.location.tzinfo)
        _line(
            pdf,
            f"#{appointment.pk}",
            f"{starts:%a %m/%d %H:%M} {appointment.location.name} - "
            f"{provider.first_name} {provider.last_name} - {appointment.appointment_type.name}",
        )
