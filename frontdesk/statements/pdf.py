"""The statement PDF (fpdf2): the holder's address block, the period's lines and the amount due."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fpdf import FPDF

from frontdesk.core.money import format_money


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def statement_pdf(statement: Any) -> bytes:
    holder = statement.account.holder
    pdf = FPDF(format="letter")
    # Uncompressed: a statement is a few KB, and its text stays searchable (the audit walk and
    # support staff can see what a stored statement says).
    pdf.set_compression(False)
    pdf.set_title("Patient statement")
    pdf.set_creation_date(statement.created_at)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Patient statement", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for text in (
        f"{holder.first_name} {holder.last_name}",
        " ".join(
            part
            for part in (
                getattr(holder, "address_line1", ""),
                getattr(holder, "city", ""),
                getattr(holder, "state", ""),
                getattr(holder, "postal_code", ""),
            )
            if part
        ),
        f"Account {statement.account.number} - patient ID (MRN) {holder.mrn}",
        f"Statement date {statement.cycle_date:%m/%d/%Y} - period "
        f"{statement.period_start:%m/%d/%Y} to {statement.period_end:%m/%d/%Y}",
    ):
        pdf.cell(0, 6, _latin(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(
        0,
        6,
        f"Previous balance: {format_money(statement.opening_balance)}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 10)
    widths = (25, 95, 30, 30)
    for width, head in zip(
        widths, ("Date", "Description", "Responsibility", "Amount"), strict=True
    ):
        pdf.cell(width, 7, head, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for line in statement.lines:
        cells = (
            line["date"],
            line["description"][:60],
            "Insurance" if line["bucket"] == "insurance" else "You",
            format_money(Decimal(line["amount"])),
        )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 7, _latin(text), border=1)
        pdf.ln()
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(
        0,
        8,
        f"Amount due: {format_money(statement.amount_due)} by {statement.due_date:%m/%d/%Y}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
