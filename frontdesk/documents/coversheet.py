"""The patient barcode cover sheet: print it, lay it on top of a patient's paper, scan the pile.

The sheet carries the signed ``FDDOC`` code (``codes.py``) as a QR and as text: the pipeline files
the sheet and every page scanned behind it into that patient's chart as the chosen document type,
with no matching and no review (unless the pages behind it name somebody else). The sheet shows the
patient's name and date of birth so the person scanning can check it is the right one.
"""

from __future__ import annotations

from fpdf import FPDF

from frontdesk.documents.choices import DocType
from frontdesk.documents.codes import encode_document_code
from frontdesk.printing.pdf import qr_png

QR_MM = 60


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def cover_sheet_pdf(*, patient: object, doc_type: str, appointment_id: int | None = None) -> bytes:
    """One page: the code (QR + text), the patient and the document type in large print."""
    code = encode_document_code(patient.pk, doc_type, appointment_id)  # type: ignore[attr-defined]
    pdf = FPDF(orientation="portrait", format="Letter")
    pdf.set_title("FrontDesk document cover sheet")
    pdf.set_creator("FrontDesk")
    pdf.set_auto_page_break(auto=False)
    pdf.set_compression(False)  # one small page; its text stays searchable as written
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 22)
    pdf.cell(0, 12, "FrontDesk document cover sheet", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    pdf.multi_cell(
        0,
        6,
        "Place this sheet on top of the pages and scan them together. Everything behind it is "
        "filed into this patient's chart as the document type below.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(6)
    pdf.image(qr_png(code), x=(pdf.w - QR_MM) / 2, y=pdf.get_y(), w=QR_MM)
    pdf.set_y(pdf.get_y() + QR_MM + 2)
    pdf.set_font("Courier", "", 9)
    pdf.cell(0, 5, code, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 18)
    name = f"{patient.last_name}, {patient.first_name}"  # type: ignore[attr-defined]
    pdf.cell(0, 10, _latin(name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 14)
    born = patient.date_of_birth  # type: ignore[attr-defined]
    pdf.cell(
        0,
        8,
        _latin(f"Date of birth {born:%m/%d/%Y}   MRN {patient.mrn}"),  # type: ignore[attr-defined]
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, _latin(str(DocType(doc_type).label)), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(pdf.h - 20)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, "Confidential: contains patient information.", align="C")
    return bytes(pdf.output())
