"""Synthetic paper about the demo patients, rendered and degraded like a fax line, a scanner or a phone.

``generate_corpus(patients, out)`` writes ``count`` files and ``manifest.json`` into ``out``: typed
letters, lab tables, referral forms, payer letters, insurance cards, driver's licences and FrontDesk's
own forms carrying their signed codes. Each document is drawn as a PDF with fpdf2's core fonts, then
(except for the born-digital e-mailed ones, which keep their text layer) rasterised with PDFium and
degraded with Pillow:

- fax: 204x98 dpi, 1-bit, speckles and drop-outs, skewed within ±3°, ~8% fed upside down, most with
  the sending machine's header line; a multi-page Group 4 TIFF.
- scan: 200 dpi grey with light noise and a little skew; a PDF of JPEG pages.
- photo: a card photographed on a desk at an angle; JPEG or PNG.

The manifest labels every file: pages, the patient of each page range (``null`` for a person who is not
a patient of the practice), the document type, upside-down pages, skew and the hard cases it contains.
Page ranges are zero-based and half-open: ``[0, 2]`` is the first two pages.

Deterministic for a seed: the same patients, seed and count give the same manifest (apart from
``generated_at``) and byte-identical files. Pure of the database; the signed codes need Django's
``SECRET_KEY`` only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from frontdesk.documents.choices import DocType
from frontdesk.documents.codes import encode_document_code
from frontdesk.printing.formcode import encode_form_code

# Everything on the paper is dated relative to a fixed day, so a seed always draws the same files.
REFERENCE_DAY = dt.date(2026, 11, 2)
_CREATED = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
RENDER_DPI = 200
FAX_DPI = (204, 98)
FAX_SIZE = (
    1728,
    1078,
)  # a letter page at standard fax resolution: 1728 dots a line, 98 lines an inch
CARD_MM = (85.6, 53.98)  # ID-1, the size of insurance cards and driver's licences
MANIFEST = "manifest.json"

# Shares of the hard cases (each at least one document in any corpus of a dozen or more).
MULTI_PATIENT_SHARE = 0.08
NON_PATIENT_SHARE = 0.05
UPSIDE_DOWN_SHARE = 0.08
MAX_SKEW = 3.0


@dataclass(frozen=True, kw_only=True)
class CorpusPatient:
    """A patient of the practice, as the generator needs them (phone: 10 digits)."""

    id: int
    first: str
    last: str
    dob: dt.date
    middle: str = ""
    mrn: str = ""
    phone: str = ""
    member_id: str = ""
    payer: str = ""
    sex: str = ""
    address: str = ""


@dataclass(frozen=True, kw_only=True)
class CorpusAppointment:
    """An appointment whose encounter form (with its signed ``FDAPPT`` code) may come back scanned."""

    id: int
    patient_id: int
    starts_at: dt.datetime
    provider: str = "Dr. Demo Provider"
    location: str = "Demo Family Practice"
    visit_type: str = "Office visit"


# --- who the paper is about ------------------------------------------------------------------


@dataclass
class _Subject:
    """The person a document is about, as it is printed (perhaps misspelt or nicknamed)."""

    patient_id: int | None
    first: str
    last: str
    dob: dt.date
    middle: str = ""
    mrn: str = ""
    phone: str = ""
    member_id: str = ""
    payer: str = ""
    sex: str = ""
    address: str = ""

    @classmethod
    def of(cls, patient: CorpusPatient) -> _Subject:
        return cls(
            patient_id=patient.id,
            first=patient.first,
            last=patient.last,
            dob=patient.dob,
            middle=patient.middle,
            mrn=patient.mrn,
            phone=patient.phone,
            member_id=patient.member_id,
            payer=patient.payer,
            sex=patient.sex,
            address=patient.address,
        )


@dataclass(frozen=True)
class _Sender:
    org: str
    doctor: str
    street: str
    city: str
    phone: str
    fax: str


@dataclass
class _Doc:
    """One document being drawn: its random stream, style choices and labels."""

    rng: random.Random
    index: int
    doc_type: str
    capture: str  # fax | scan | born_digital | photo
    sender: _Sender
    addressee: str
    font: str
    date_style: int
    name_style: int
    shows: set[str] = field(default_factory=set)  # dob, mrn, phone, member_id, address
    hard: list[str] = field(default_factory=list)
    code: str = ""
    day: dt.date = REFERENCE_DAY


# --- fixed pools (obviously synthetic) --------------------------------------------------------

_DOCTOR_FIRST = (
    "Alan",
    "Beth",
    "Carlos",
    "Dana",
    "Evan",
    "Fiona",
    "Grace",
    "Hector",
    "Irene",
    "Jon",
)
_DOCTOR_LAST = (
    "Mockridge",
    "Samplewood",
    "Exampleton",
    "Demoulin",
    "Placerton",
    "Fictus",
    "Dummont",
    "Testaverde",
    "Notreal",
    "Specimen",
)
_CITIES = (
    ("Albany, NY 12203", "518"),
    ("Troy, NY 12180", "518"),
    ("Buffalo, NY 14202", "716"),
    ("Chicago, IL 60601", "312"),
    ("Schenectady, NY 12305", "518"),
)
_STREETS = ("Example Ave", "Sample St", "Demo Rd", "Test Pkwy", "Placeholder Blvd", "Mock Ln")
_LABS = ("Example Regional Laboratory", "Sample Diagnostics Lab", "Demo Clinical Labs Inc.")
_IMAGING = ("Sample Imaging Associates", "Example Radiology Group", "Demo Valley MRI Center")
_SPECIALISTS = (
    "Demo Cardiology Group",
    "Example Orthopedics & Sports Medicine",
    "Sample Endocrinology Associates",
    "Testville Gastroenterology",
    "Placeholder Valley Hospital",
)
_LAW_FIRMS = ("Mock & Partners LLP", "Sample Injury Law Group", "Example Legal Services PC")
_PAYERS = ("Example Health Plan", "Sample Mutual Insurance", "Demo Care Medicaid Plan")
_PRACTICE = "Demo Family Practice"
_PRACTICE_DOCTORS = ("Dr. Demo Provider", "Dr. Ada Example", "Dr. Ben Sample")

_OUTSIDE_FIRST = (
    "Abelard", "Bartholomew", "Clementine", "Desmond", "Esmeralda", "Fitzgerald", "Gwendolyn",
    "Horatio", "Ignatius", "Jemima", "Keziah", "Lysander", "Mortimer", "Nathaniel", "Octavia",
    "Percival", "Quentin", "Reginald", "Seraphina", "Tobias", "Ursula", "Vivienne", "Wilhelmina",
    "Xavier", "Yolanda", "Zebulon",
)  # fmt: skip
_OUTSIDE_LAST = (
    "Outsider",
    "Strangeway",
    "Nonmember",
    "Elsewhere",
    "Farafield",
    "Visitorson",
    "Notonfile",
    "Wanderly",
)
_NICKNAMES = {
    "William": "Bill",
    "Robert": "Bob",
    "Richard": "Rick",
    "Elizabeth": "Liz",
    "Margaret": "Peggy",
    "Katherine": "Kate",
    "Catherine": "Cathy",
    "James": "Jim",
    "Jennifer": "Jen",
    "Michael": "Mike",
    "Patricia": "Pat",
    "Joseph": "Joe",
    "Thomas": "Tom",
    "Christopher": "Chris",
    "Daniel": "Dan",
    "Anthony": "Tony",
    "Susan": "Sue",
    "Deborah": "Debbie",
    "Charles": "Chuck",
    "Edward": "Ted",
    "Barbara": "Barb",
    "Rebecca": "Becky",
    "Alexander": "Alex",
    "Samantha": "Sam",
    "Benjamin": "Ben",
    "Nicholas": "Nick",
    "Jonathan": "Jon",
    "Matthew": "Matt",
    "Andrew": "Andy",
    "David": "Dave",
}

_PANELS: dict[str, list[tuple[str, str, float, float, int]]] = {
    "COMPLETE BLOOD COUNT": [
        ("WBC", "10^3/uL", 4.0, 11.0, 1),
        ("RBC", "10^6/uL", 4.2, 5.9, 2),
        ("Hemoglobin", "g/dL", 12.0, 17.5, 1),
        ("Hematocrit", "%", 36.0, 50.0, 1),
        ("Platelets", "10^3/uL", 150, 400, 0),
    ],
    "COMPREHENSIVE METABOLIC PANEL": [
        ("Glucose", "mg/dL", 70, 99, 0),
        ("BUN", "mg/dL", 7, 20, 0),
        ("Creatinine", "mg/dL", 0.6, 1.3, 2),
        ("Sodium", "mmol/L", 135, 145, 0),
        ("Potassium", "mmol/L", 3.5, 5.1, 1),
        ("Chloride", "mmol/L", 98, 107, 0),
        ("CO2", "mmol/L", 22, 29, 0),
        ("Calcium", "mg/dL", 8.5, 10.5, 1),
        ("ALT", "U/L", 7, 56, 0),
    ],
    "LIPID PANEL": [
        ("Total cholesterol", "mg/dL", 100, 199, 0),
        ("HDL cholesterol", "mg/dL", 40, 90, 0),
        ("LDL cholesterol (calc)", "mg/dL", 0, 99, 0),
        ("Triglycerides", "mg/dL", 0, 149, 0),
    ],
    "HEMOGLOBIN A1C": [
        ("Hemoglobin A1c", "%", 4.0, 5.6, 1),
        ("Est. avg glucose", "mg/dL", 68, 114, 0),
    ],
    "THYROID PANEL": [("TSH", "mIU/L", 0.4, 4.5, 2), ("Free T4", "ng/dL", 0.8, 1.8, 2)],
    "URINALYSIS": [
        ("Specific gravity", "", 1.005, 1.030, 3),
        ("pH", "", 5.0, 8.0, 1),
        ("Protein", "mg/dL", 0, 14, 0),
    ],
    "VITAMIN D, 25-HYDROXY": [("25-OH Vitamin D", "ng/mL", 30, 100, 0)],
}
_EXAMS = (
    ("XR CHEST 2 VIEWS", "Cough.", "The lungs are clear. No pleural effusion or pneumothorax. The "
     "cardiomediastinal silhouette is within normal limits.", "No acute cardiopulmonary process."),
    ("MRI LUMBAR SPINE WITHOUT CONTRAST", "Low back pain radiating to the left leg.", "Mild disc "
     "desiccation at L4-L5 with a small broad-based disc bulge. No high-grade canal stenosis.",
     "Mild degenerative change at L4-L5 without nerve root compression."),
    ("US ABDOMEN COMPLETE", "Right upper quadrant pain.", "The liver is normal in size and echotexture. "
     "The gallbladder contains several small mobile stones without wall thickening.",
     "Cholelithiasis without sonographic evidence of acute cholecystitis."),
    ("CT HEAD WITHOUT CONTRAST", "Headache.", "No intracranial hemorrhage, mass effect or midline "
     "shift. The ventricles are normal in size.", "No acute intracranial abnormality."),
    ("DEXA BONE DENSITY", "Screening.", "Lumbar spine T-score -1.4. Left femoral neck T-score -1.8.",
     "Osteopenia."),
)  # fmt: skip
_LETTER_SENTENCES = (
    "Thank you for referring this patient to our clinic for evaluation.",
    "The patient reports intermittent symptoms over the past several months.",
    "On examination the patient was in no acute distress and vital signs were within normal limits.",
    "We reviewed the recent laboratory results and imaging together during the visit.",
    "I have recommended a trial of conservative management with follow-up in six weeks.",
    "We discussed the risks and benefits of the proposed treatment and all questions were answered.",
    "Please do not hesitate to contact our office with any questions regarding this patient's care.",
    "A copy of this letter has been sent to the patient for their records.",
    "The current medication list was reconciled and no changes were made today.",
    "We will obtain repeat testing prior to the next visit and forward the results to you.",
)
_ICD = ("E11.9", "I10", "M54.50", "J45.909", "E78.5", "R07.9", "K21.9", "F41.1", "M25.561")
_CPT = (
    ("99202", "New pt, straightforward"),
    ("99203", "New pt, low"),
    ("99212", "Est pt, straightforward"),
    ("99213", "Est pt, low"),
    ("99214", "Est pt, moderate"),
    ("99215", "Est pt, high"),
    ("36415", "Venipuncture"),
    ("81002", "Urinalysis, dip"),
    ("85025", "CBC w/ diff"),
    ("90471", "Immunization admin"),
    ("93000", "ECG, complete"),
    ("99396", "Preventive, 40-64"),
)
_SERVICES = (
    ("MRI lumbar spine without contrast", "72148"),
    ("CT abdomen and pelvis with contrast", "74177"),
    ("Physical therapy, 12 visits", "97110"),
    ("Sleep study, attended", "95810"),
    ("Continuous glucose monitor", "A9276"),
)

# Document types with their weights (a cover sheet stands in front of an outside document).
_TYPE_WEIGHTS: dict[str, int] = {
    DocType.LAB_RESULT: 16,
    DocType.IMAGING_REPORT: 8,
    DocType.CONSULT_NOTE: 11,
    DocType.REFERRAL: 8,
    DocType.RECORDS_REQUEST: 5,
    DocType.PRIOR_AUTH: 6,
    DocType.INSURANCE_CARD: 8,
    DocType.PHOTO_ID: 5,
    DocType.PAYER_LETTER: 6,
    DocType.INTAKE_FORM: 6,
    DocType.ENCOUNTER_FORM: 7,
    DocType.CONSENT_FORM: 5,
    "cover": 6,
}
_CAPTURES: dict[str, tuple[tuple[str, int], ...]] = {
    DocType.LAB_RESULT: (("fax", 60), ("born_digital", 25), ("scan", 15)),
    DocType.IMAGING_REPORT: (("fax", 60), ("born_digital", 20), ("scan", 20)),
    DocType.CONSULT_NOTE: (("fax", 55), ("scan", 25), ("born_digital", 20)),
    DocType.REFERRAL: (("fax", 80), ("scan", 20)),
    DocType.RECORDS_REQUEST: (("fax", 60), ("scan", 25), ("born_digital", 15)),
    DocType.PRIOR_AUTH: (("fax", 70), ("scan", 20), ("born_digital", 10)),
    DocType.PAYER_LETTER: (("scan", 60), ("fax", 20), ("born_digital", 20)),
    DocType.INSURANCE_CARD: (("photo", 70), ("scan", 30)),
    DocType.PHOTO_ID: (("photo", 75), ("scan", 25)),
    DocType.INTAKE_FORM: (("scan", 85), ("fax", 15)),
    DocType.ENCOUNTER_FORM: (("scan", 90), ("fax", 10)),
    DocType.CONSENT_FORM: (("scan", 85), ("fax", 15)),
    "cover": (("fax", 60), ("scan", 40)),
}
# How many pages each kind of document has (drawn from these).
_PAGES: dict[str, tuple[int, ...]] = {
    DocType.LAB_RESULT: (1, 1, 2, 3),
    DocType.IMAGING_REPORT: (1, 1, 2),
    DocType.CONSULT_NOTE: (1, 2),
    DocType.REFERRAL: (1, 1, 2),
    DocType.RECORDS_REQUEST: (1, 2, 2),
    DocType.PRIOR_AUTH: (1,),
    DocType.PAYER_LETTER: (1, 1, 2),
    DocType.INTAKE_FORM: (2,),
    DocType.CONSENT_FORM: (1, 2),
}
# Which inbox source each capture arrives by.
_SOURCE = {"fax": "fax", "scan": "scan", "born_digital": "email", "photo": "upload"}
_OUTSIDE_TYPES = (
    DocType.LAB_RESULT,
    DocType.IMAGING_REPORT,
    DocType.CONSULT_NOTE,
    DocType.REFERRAL,
    DocType.RECORDS_REQUEST,
    DocType.PRIOR_AUTH,
)
_PAYER_PAPER = (DocType.INSURANCE_CARD, DocType.PRIOR_AUTH, DocType.PAYER_LETTER)
_COVERED_TYPES = (
    DocType.LAB_RESULT,
    DocType.IMAGING_REPORT,
    DocType.CONSULT_NOTE,
    DocType.REFERRAL,
    DocType.RECORDS_REQUEST,
)


# --- small helpers ------------------------------------------------------------------------------


def _latin(text: str) -> str:
    """The text as the core PDF fonts can draw it (Latin-1; anything else becomes '?')."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _weighted(rng: random.Random, options: Sequence[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in options], weights=[w for _, w in options])[0]


def _fmt_date(day: dt.date, style: int) -> str:
    styles: tuple[Callable[[dt.date], str], ...] = (
        lambda d: d.strftime("%m/%d/%Y"),
        lambda d: f"{d.month}/{d.day}/{d.strftime('%y')}",
        lambda d: d.isoformat(),
        lambda d: f"{d.strftime('%B')} {d.day}, {d.year}",
        lambda d: d.strftime("%d-%b-%Y").upper(),
        lambda d: d.strftime("%m-%d-%Y"),
    )
    return styles[style % len(styles)](day)


def _fmt_phone(digits: str) -> str:
    if len(digits) != 10:
        return digits
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def _initial(middle: str) -> str:
    return f"{middle[0]}." if middle else ""


def _name(subject: _Subject, style: int) -> str:
    """The name as this document prints it."""
    first, middle, last = subject.first, subject.middle, subject.last
    if style == 0:
        return f"{last.upper()}, {first.upper()}"
    if style == 1:
        return " ".join(part for part in (first, _initial(middle), last) if part)
    if style == 2:
        return f"{first} {last}"
    if style == 3:
        return " ".join(part for part in (last.upper(), first.upper(), middle[:1].upper()) if part)
    return f"{last}, {first}" + (f" {_initial(middle)}" if middle else "")


def _identity_lines(doc: _Doc, subject: _Subject) -> list[str]:
    """The lines identifying the patient, in one of several real-world presentations."""
    name = _name(subject, doc.name_style)
    dob = _fmt_date(subject.dob, doc.date_style) if "dob" in doc.shows else ""
    style = doc.name_style
    if style == 0:
        first_line = f"Patient: {name}" + (f"    DOB: {dob}" if dob else "")
    elif style == 1:
        first_line = f"Re: {name}" + (f" (DOB {dob})" if dob else "")
    elif style == 2:
        first_line = f"Name: {name}" + (f"     Date of birth: {dob}" if dob else "")
    elif style == 3:
        first_line = f"PATIENT: {name}" + (f"    DOB: {dob}" if dob else "")
        if subject.sex:
            first_line += f"    SEX: {subject.sex}"
    else:
        first_line = f"Pt name: {name}" + (f"    D.O.B. {dob}" if dob else "")
    lines = [first_line]
    extra = []
    if "mrn" in doc.shows and subject.mrn:
        label = ("MRN", "Your MRN", "Chart #", "Acct/MRN")[doc.index % 4]
        extra.append(f"{label}: {subject.mrn}")
    if "phone" in doc.shows and subject.phone:
        extra.append(f"Phone: {_fmt_phone(subject.phone)}")
    if "member_id" in doc.shows and subject.member_id:
        extra.append(f"Member ID: {subject.member_id}")
    if extra:
        lines.append("    ".join(extra))
    if "address" in doc.shows and subject.address:
        lines.append(f"Address: {subject.address}")
    return lines


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _qr_png(text: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    buffer.seek(0)
    return buffer


# --- drawing ----------------------------------------------------------------------------------


def _new_pdf(doc: _Doc, fmt: str | tuple[float, float] = "letter") -> FPDF:
    pdf = FPDF(unit="mm", format=fmt)
    pdf.set_auto_page_break(False)
    pdf.set_margins(18, 14, 18)
    pdf.set_creation_date(_CREATED + dt.timedelta(minutes=doc.index))
    pdf.set_creator(_latin(doc.sender.org))
    return pdf


def _write(
    pdf: FPDF, text: str, size: float = 10, style: str = "", *, font: str = "", h: float = 0
) -> None:
    pdf.set_font(font or pdf.font_family or "helvetica", style, size)
    pdf.multi_cell(
        0, h or size * 0.48, _latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L"
    )


def _rule(pdf: FPDF, gap: float = 2) -> None:
    pdf.ln(gap)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(gap)


def _letterhead(doc: _Doc, pdf: FPDF) -> None:
    sender = doc.sender
    pdf.set_xy(pdf.l_margin, 12)
    _write(pdf, sender.org.upper(), 15, "B", font=doc.font)
    _write(pdf, f"{sender.street}, {sender.city}", 9, font=doc.font)
    _write(pdf, f"Tel {sender.phone}   Fax {sender.fax}", 9, font=doc.font)
    if sender.doctor:
        _write(pdf, sender.doctor, 9, "I", font=doc.font)
    _rule(pdf)


def _footer(doc: _Doc, pdf: FPDF, page: int, pages: int, note: str = "") -> None:
    pdf.set_xy(pdf.l_margin, pdf.h - 16)
    text = note or "CONFIDENTIAL: intended only for the addressee."
    _write(pdf, f"{text}    Page {page} of {pages}", 8, font=doc.font)


def _field(pdf: FPDF, x: float, y: float, w: float, label: str, value: str, hand: bool) -> None:
    """A labelled box with its value, printed or "handwritten"."""
    pdf.set_xy(x, y)
    pdf.set_font("helvetica", "", 7)
    pdf.cell(w, 3.5, _latin(label))
    pdf.rect(x, y + 3.5, w, 7)
    pdf.set_xy(x + 1.5, y + 4.3)
    if hand:
        pdf.set_font("times", "I", 12)
    else:
        pdf.set_font("helvetica", "", 10)
    pdf.cell(w - 3, 5.5, _latin(value))


def _checkbox(pdf: FPDF, x: float, y: float, label: str, checked: bool) -> None:
    pdf.rect(x, y, 3.5, 3.5)
    if checked:
        pdf.line(x + 0.4, y + 0.4, x + 3.1, y + 3.1)
        pdf.line(x + 3.1, y + 0.4, x + 0.4, y + 3.1)
    pdf.set_xy(x + 5, y - 0.5)
    pdf.set_font("helvetica", "", 9)
    pdf.cell(60, 4.5, _latin(label))


def _signature(pdf: FPDF, rng: random.Random, x: float, y: float) -> None:
    """A scribble on a signature line."""
    pdf.line(x, y + 8, x + 60, y + 8)
    px, py = x + 2, y + 5
    for _ in range(9):
        nx, ny = px + rng.uniform(3, 7), y + rng.uniform(1, 7)
        pdf.line(px, py, nx, ny)
        px, py = nx, ny


def _code_block(pdf: FPDF, code: str, x: float, y: float, size: float = 30) -> None:
    pdf.image(_qr_png(code), x=x, y=y, w=size)
    pdf.set_xy(x - 30, y + size + 0.5)
    pdf.set_font("courier", "", 6.5)
    pdf.cell(size + 30, 3, code, align="R")


# --- document types ---------------------------------------------------------------------------


def _draw_lab(doc: _Doc, pdf: FPDF, subject: _Subject, pages: int) -> None:
    rng = doc.rng
    panels = rng.sample(list(_PANELS), k=min(len(_PANELS), pages + rng.randint(0, pages)))
    per_page = [panels[i::pages] for i in range(pages)]
    collected = doc.day - dt.timedelta(days=rng.randint(1, 6))
    accession = f"A{rng.randint(10**7, 10**8 - 1)}"
    for page, page_panels in enumerate(per_page, start=1):
        pdf.add_page()
        _letterhead(doc, pdf)
        _write(
            pdf, "LABORATORY REPORT" + (" (continued)" if page > 1 else ""), 13, "B", font=doc.font
        )
        pdf.ln(1)
        for n, line in enumerate(_identity_lines(doc, subject)):
            _write(pdf, line, 10, "" if n else "B", font=doc.font)
        _write(
            pdf,
            f"Collected: {_fmt_date(collected, doc.date_style)}    Reported: "
            f"{_fmt_date(doc.day, doc.date_style)}    Accession: {accession}",
            9,
            font=doc.font,
        )
        _write(pdf, f"Ordering provider: {doc.addressee}, {_PRACTICE}", 9, font=doc.font)
        _rule(pdf)
        widths = (62, 26, 14, 28, 40)
        heads = ("TEST", "RESULT", "FLAG", "UNITS", "REFERENCE RANGE")
        pdf.set_font("courier", "B", 9)
        for w, head in zip(widths, heads, strict=True):
            pdf.cell(w, 6, head)
        pdf.ln(6)
        for panel in page_panels:
            pdf.set_font("courier", "B", 9)
            pdf.cell(0, 6, panel, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            for test, units, low, high, places in _PANELS[panel]:
                span = high - low
                value = rng.uniform(low - 0.25 * span, high + 0.25 * span)
                value = max(value, 0.0)
                flag = "H" if value > high else ("L" if value < low else "")
                reference = (
                    f"<{high:.{places}f}" if low == 0 else f"{low:.{places}f}-{high:.{places}f}"
                )
                pdf.set_font("courier", "B" if flag else "", 9)
                for w, cell in zip(
                    widths,
                    (f"  {test}", f"{value:.{places}f}", flag, units, reference),
                    strict=True,
                ):
                    pdf.cell(w, 5.5, _latin(cell))
                pdf.ln(5.5)
        _footer(doc, pdf, page, pages)


def _draw_imaging(doc: _Doc, pdf: FPDF, subject: _Subject, pages: int) -> None:
    rng = doc.rng
    exam, history, findings, impression = rng.choice(_EXAMS)
    radiologist = doc.sender.doctor or "Dr. Dana Specimen, MD"
    for page in range(1, pages + 1):
        pdf.add_page()
        _letterhead(doc, pdf)
        _write(pdf, "RADIOLOGY REPORT", 13, "B", font=doc.font)
        for line in _identity_lines(doc, subject):
            _write(pdf, line, 10, font=doc.font)
        _write(pdf, f"Referring physician: {doc.addressee}", 9, font=doc.font)
        _rule(pdf)
        if page == 1:
            _write(pdf, f"EXAM: {exam}", 11, "B", font=doc.font)
            _write(pdf, f"DATE OF SERVICE: {_fmt_date(doc.day, doc.date_style)}", 10, font=doc.font)
            pdf.ln(2)
            _write(pdf, f"CLINICAL HISTORY: {history}", 10, font=doc.font, h=5.5)
            _write(pdf, "COMPARISON: None available.", 10, font=doc.font, h=5.5)
            pdf.ln(2)
            _write(pdf, f"FINDINGS: {findings}", 10, font=doc.font, h=5.5)
            pdf.ln(2)
            _write(pdf, f"IMPRESSION: {impression}", 10, "B", font=doc.font, h=5.5)
        else:
            _write(pdf, "ADDENDUM", 11, "B", font=doc.font)
            _write(pdf, " ".join(rng.sample(_LETTER_SENTENCES, 3)), 10, font=doc.font, h=5.5)
        pdf.ln(6)
        _write(pdf, f"Electronically signed by {radiologist}", 9, "I", font=doc.font)
        _footer(doc, pdf, page, pages)


def _draw_letter(doc: _Doc, pdf: FPDF, subject: _Subject, pages: int) -> None:
    rng = doc.rng
    for page in range(1, pages + 1):
        pdf.add_page()
        _letterhead(doc, pdf)
        if page == 1:
            _write(pdf, _fmt_date(doc.day, 3), 11, font=doc.font)
            pdf.ln(3)
            for line in (doc.addressee, _PRACTICE, "12 Clinic Way", "Albany, NY 12203"):
                _write(pdf, line, 11, font=doc.font)
            pdf.ln(4)
        for line in _identity_lines(doc, subject):
            _write(pdf, line, 11, "B", font=doc.font)
        pdf.ln(3)
        if page == 1:
            _write(pdf, f"Dear {doc.addressee},", 11, font=doc.font)
            pdf.ln(2)
        for _ in range(2 if pages > 1 else 3):
            _write(pdf, " ".join(rng.sample(_LETTER_SENTENCES, 3)), 11, font=doc.font, h=5.6)
            pdf.ln(3)
        if page == pages:
            _write(pdf, "Sincerely,", 11, font=doc.font)
            _signature(pdf, rng, pdf.l_margin, pdf.get_y())
            pdf.ln(11)
            _write(pdf, doc.sender.doctor or "Dr. Evan Mockridge, MD", 11, font=doc.font)
            _write(pdf, f"cc: {doc.addressee}; patient", 9, font=doc.font)
        _footer(doc, pdf, page, pages)


def _draw_referral(doc: _Doc, pdf: FPDF, subject: _Subject, pages: int) -> None:
    rng = doc.rng
    hand = rng.random() < 0.5
    pdf.add_page()
    _letterhead(doc, pdf)
    _write(pdf, "REFERRAL / CONSULTATION REQUEST", 14, "B", font=doc.font)
    top = pdf.get_y() + 2
    dob = _fmt_date(subject.dob, doc.date_style) if "dob" in doc.shows else ""
    _field(pdf, 18, top, 90, "Patient name (last, first)", f"{subject.last}, {subject.first}", hand)
    _field(pdf, 112, top, 40, "Date of birth", dob, hand)
    _field(
        pdf, 156, top, 42, "Phone", _fmt_phone(subject.phone) if "phone" in doc.shows else "", hand
    )
    top += 13
    member = subject.member_id if "member_id" in doc.shows else ""
    _field(pdf, 18, top, 90, "Insurance", subject.payer if member else "", hand)
    _field(pdf, 112, top, 86, "Member ID", member, hand)
    top += 13
    _field(pdf, 18, top, 90, "Referred to", f"{doc.addressee}, {_PRACTICE}", hand)
    _field(pdf, 112, top, 86, "Referring provider", doc.sender.doctor or doc.sender.org, hand)
    top += 15
    urgent = rng.random() < 0.3
    _checkbox(pdf, 18, top, "Urgent", urgent)
    _checkbox(pdf, 50, top, "Routine", not urgent)
    _checkbox(pdf, 90, top, "Consult only", rng.random() < 0.5)
    _checkbox(pdf, 130, top, "Consult and treat", rng.random() < 0.5)
    top += 7
    _checkbox(pdf, 18, top, "Prior authorization obtained", rng.random() < 0.4)
    _checkbox(pdf, 90, top, "Records enclosed", True)
    pdf.set_xy(18, top + 9)
    _write(pdf, f"Diagnosis (ICD-10): {', '.join(rng.sample(_ICD, 2))}", 10, font=doc.font)
    _write(pdf, "Reason for referral: " + rng.choice(_LETTER_SENTENCES), 10, font=doc.font, h=5.5)
    _signature(pdf, rng, 18, pdf.get_y() + 6)
    _footer(doc, pdf, 1, pages)
    for page in range(2, pages + 1):
        pdf.add_page()
        _letterhead(doc, pdf)
        _write(pdf, "CLINICAL NOTES ATTACHED TO REFERRAL", 12, "B", font=doc.font)
        for line in _identity_lines(doc, subject):
            _write(pdf, line, 10, font=doc.font)
        pdf.ln(3)
        for _ in range(3):
            _write(pdf, " ".join(rng.sample(_LETTER_SENTENCES, 3)), 10, font=doc.font, h=5.5)
            pdf.ln(2)
        _footer(doc, pdf, page, pages)


def _draw_records_request(doc: _Doc, pdf: FPDF, subject: _Subject, pages: int) -> None:
    rng = doc.rng
    lawyer = doc.sender.org in _LAW_FIRMS
    pdf.add_page()
    _letterhead(doc, pdf)
    _write(pdf, _fmt_date(doc.day, 3), 11, font=doc.font)
    pdf.ln(3)
    _write(
        pdf,
        f"Custodian of Records\n{_PRACTICE}\n12 Clinic Way\nAlbany, NY 12203",
        11,
        font=doc.font,
    )
    pdf.ln(3)
    _write(pdf, "REQUEST FOR MEDICAL RECORDS", 13, "B", font=doc.font)
    for line in _identity_lines(doc, subject):
        _write(pdf, line, 11, "B", font=doc.font)
    pdf.ln(3)
    since = doc.day - dt.timedelta(days=rng.randint(365, 1500))
    who = "our client" if lawyer else "our patient, who has transferred care to us"
    _write(
        pdf,
        f"Dear Custodian of Records: Please provide complete copies of the medical and billing records "
        f"of {who}, for dates of service from {_fmt_date(since, doc.date_style)} to the present. "
        "A signed authorization is enclosed. Records may be faxed to the number above.",
        11,
        font=doc.font,
        h=5.6,
    )
    pdf.ln(4)
    _write(pdf, "Sincerely,", 11, font=doc.font)
    _signature(pdf, rng, pdf.l_margin, pdf.get_y())
    pdf.ln(11)
    _write(pdf, doc.sender.doctor or "Records Department", 11, font=doc.font)
    _footer(doc, pdf, 1, pages)
    for page in range(2, pages + 1):
        pdf.add_page()
        _write(pdf, "AUTHORIZATION FOR RELEASE OF PROTECTED HEALTH INFORMATION", 12, "B")
        top = pdf.get_y() + 3
        dob = _fmt_date(subject.dob, doc.date_style) if "dob" in doc.shows else ""
        _field(pdf, 18, top, 110, "Patient name", f"{subject.first} {subject.last}", True)
        _field(pdf, 132, top, 66, "Date of birth", dob, True)
        _field(
            pdf,
            18,
            top + 13,
            180,
            "Address",
            subject.address if "address" in doc.shows else "",
            True,
        )
        pdf.set_xy(18, top + 28)
        _write(
            pdf,
            f"I authorize {_PRACTICE} to release my records to {doc.sender.org}. This authorization "
            "expires one year from the date signed. I may revoke it in writing at any time.",
            10,
            h=5.5,
        )
        _signature(pdf, rng, 18, pdf.get_y() + 6)
        _footer(doc, pdf, page, pages, "HIPAA authorization")


def _draw_prior_auth(doc: _Doc, pdf: FPDF, subject: _Subject, pages: int) -> None:
    rng = doc.rng
    approved = rng.random() < 0.65
    service, code = rng.choice(_SERVICES)
    pdf.add_page()
    _letterhead(doc, pdf)
    _write(pdf, "PRIOR AUTHORIZATION DETERMINATION", 13, "B", font=doc.font)
    _write(pdf, f"Date: {_fmt_date(doc.day, doc.date_style)}", 10, font=doc.font)
    pdf.ln(2)
    _write(
        pdf,
        f"Member: {subject.first} {_initial(subject.middle)} {subject.last}".replace("  ", " "),
        11,
        "B",
        font=doc.font,
    )
    if "member_id" in doc.shows:
        _write(pdf, f"Member ID: {subject.member_id}", 11, font=doc.font)
    if "dob" in doc.shows:
        _write(pdf, f"Date of birth: {_fmt_date(subject.dob, doc.date_style)}", 11, font=doc.font)
    _write(pdf, f"Requesting provider: {doc.addressee}, {_PRACTICE}", 10, font=doc.font)
    pdf.ln(2)
    _write(pdf, f"Service requested: {service} (code {code})", 10, font=doc.font)
    _write(pdf, f"Reference #: PA{rng.randint(10**6, 10**7 - 1)}", 10, font=doc.font)
    pdf.ln(3)
    if approved:
        until = doc.day + dt.timedelta(days=90)
        _write(pdf, "DECISION: APPROVED", 14, "B", font=doc.font)
        _write(
            pdf,
            f"The service above is authorized from {_fmt_date(doc.day, doc.date_style)} through "
            f"{_fmt_date(until, doc.date_style)}. Authorization is not a guarantee of payment.",
            10,
            font=doc.font,
            h=5.5,
        )
    else:
        _write(pdf, "DECISION: DENIED", 14, "B", font=doc.font)
        _write(
            pdf,
            "The information submitted does not show that the service is medically necessary under "
            "the member's plan. You may appeal this decision within 180 days.",
            10,
            font=doc.font,
            h=5.5,
        )
    _footer(doc, pdf, 1, pages, "Questions? Call the number on the member's ID card.")


def _draw_eob(doc: _Doc, pdf: FPDF, subject: _Subject, pages: int) -> None:
    rng = doc.rng
    claim = f"C{rng.randint(10**8, 10**9 - 1)}"
    for page in range(1, pages + 1):
        pdf.add_page()
        _letterhead(doc, pdf)
        _write(pdf, "EXPLANATION OF BENEFITS - THIS IS NOT A BILL", 13, "B", font=doc.font)
        _write(pdf, f"Member: {subject.first} {subject.last}", 11, "B", font=doc.font)
        _write(pdf, f"Member ID: {subject.member_id}    Claim #: {claim}", 10, font=doc.font)
        if "dob" in doc.shows:
            _write(pdf, f"Patient DOB: {_fmt_date(subject.dob, doc.date_style)}", 10, font=doc.font)
        _write(pdf, f"Provider: {_PRACTICE}", 10, font=doc.font)
        _rule(pdf)
        widths = (28, 22, 25, 25, 25, 35)
        heads = ("Service date", "Code", "Billed", "Allowed", "Plan paid", "You may owe")
        pdf.set_font("helvetica", "B", 9)
        for w, head in zip(widths, heads, strict=True):
            pdf.cell(w, 6, head, border=1)
        pdf.ln(6)
        pdf.set_font("helvetica", "", 9)
        for _ in range(rng.randint(2, 5)):
            day = doc.day - dt.timedelta(days=rng.randint(10, 60))
            billed = rng.randint(80, 400)
            allowed = round(billed * rng.uniform(0.4, 0.8), 2)
            paid = round(allowed * rng.uniform(0.6, 0.9), 2)
            row = (
                _fmt_date(day, 0),
                rng.choice(_CPT)[0],
                f"${billed:.2f}",
                f"${allowed:.2f}",
                f"${paid:.2f}",
                f"${allowed - paid:.2f}",
            )
            for w, cell in zip(widths, row, strict=True):
                pdf.cell(w, 6, cell, border=1)
            pdf.ln(6)
        _footer(doc, pdf, page, pages, "Keep this notice for your records.")


def _draw_card_front(doc: _Doc, pdf: FPDF, subject: _Subject, x: float, y: float) -> None:
    rng = doc.rng
    pdf.set_fill_color(*rng.choice(((40, 90, 160), (20, 120, 90), (150, 40, 60))))
    pdf.rect(x, y, 85.6, 12, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(x + 3, y + 2.5)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(80, 7, _latin(subject.payer or doc.sender.org))
    pdf.set_text_color(0, 0, 0)
    rows = [
        (
            "Member",
            f"{subject.first} {_initial(subject.middle)} {subject.last}".replace("  ", " ").upper(),
        ),
        ("Member ID", subject.member_id),
        ("Group", f"{rng.randint(10000, 99999)}"),
    ]
    if "dob" in doc.shows:
        rows.append(("DOB", _fmt_date(subject.dob, 0)))
    rows.append(("RxBIN", "610014   RxPCN  EXAMPLE"))
    top = y + 15
    for label, value in rows:
        pdf.set_xy(x + 3, top)
        pdf.set_font("helvetica", "", 6.5)
        pdf.cell(18, 4.5, label)
        pdf.set_font("helvetica", "B", 8.5)
        pdf.cell(62, 4.5, _latin(value))
        top += 5.5
    pdf.set_xy(x + 55, y + 44)
    pdf.set_font("helvetica", "", 6.5)
    pdf.cell(28, 4, f"PCP copay ${rng.choice((10, 20, 25, 30, 40))}")
    pdf.rect(x, y, 85.6, 53.98)


def _draw_card_back(doc: _Doc, pdf: FPDF, x: float, y: float) -> None:
    pdf.set_xy(x + 3, y + 4)
    pdf.set_font("helvetica", "", 7)
    pdf.multi_cell(
        79,
        3.6,
        "Member services: 1-800-555-0100\nProviders: 1-800-555-0101\nSubmit claims to: PO Box 0000, "
        "Example City, NY 12000\nThis card does not guarantee coverage. Misuse is a crime.",
    )
    pdf.rect(x, y, 85.6, 53.98)


def _draw_licence(doc: _Doc, pdf: FPDF, subject: _Subject, x: float, y: float) -> None:
    rng = doc.rng
    pdf.set_fill_color(225, 232, 245)
    pdf.rect(x, y, 85.6, 53.98, style="DF")
    # The watermark sits under the text, in the lower right, pale: the fields stay readable.
    with pdf.rotation(angle=12, x=x + 60, y=y + 46), pdf.local_context(text_color=(240, 185, 185)):
        pdf.set_font("helvetica", "B", 20)
        pdf.set_xy(x + 38, y + 41)
        pdf.cell(46, 10, "SAMPLE", align="C")
    pdf.set_xy(x + 3, y + 2)
    pdf.set_font("helvetica", "B", 9)
    pdf.set_text_color(30, 50, 120)
    pdf.cell(80, 5, "EXAMPLE STATE  DRIVER LICENSE")
    pdf.set_text_color(0, 0, 0)
    pdf.set_fill_color(150, 150, 150)
    pdf.rect(x + 3, y + 10, 22, 28, style="F")  # the photo
    pdf.set_fill_color(110, 110, 110)
    pdf.ellipse(x + 9, y + 13, 10, 11, style="F")
    rows = (
        ("DL", f"S{rng.randint(10**7, 10**8 - 1)}"),
        ("DOB", _fmt_date(subject.dob, 0)),
        ("EXP", _fmt_date(doc.day + dt.timedelta(days=rng.randint(200, 2000)), 0)),
        ("", subject.last.upper()),
        ("", f"{subject.first} {subject.middle}".strip().upper()),
        ("", (subject.address or "1 Sample St, Albany, NY 12203").upper()),
        ("SEX", subject.sex or "X"),
    )
    top = y + 9
    for label, value in rows:
        pdf.set_xy(x + 28, top)
        pdf.set_font("helvetica", "", 6)
        pdf.cell(7, 4, label)
        pdf.set_font("helvetica", "B", 7.5 if len(value) < 28 else 5.5)
        pdf.cell(50, 4, _latin(value))
        top += 4.6


def _draw_intake(doc: _Doc, pdf: FPDF, subject: _Subject, pages: int) -> None:
    rng = doc.rng
    for page in range(1, pages + 1):
        pdf.add_page()
        _write(pdf, _PRACTICE.upper(), 13, "B", font="helvetica")
        _write(pdf, "PATIENT INTAKE FORM" + (" (page 2)" if page > 1 else ""), 12, "B")
        if doc.code:
            _code_block(pdf, doc.code, pdf.w - 18 - 26, 10, 26)
        top = 40
        if page == 1:
            _field(pdf, 18, top, 70, "Last name", subject.last, True)
            _field(pdf, 92, top, 60, "First name", subject.first, True)
            _field(pdf, 156, top, 42, "Middle", subject.middle, True)
            top += 13
            _field(pdf, 18, top, 50, "Date of birth", _fmt_date(subject.dob, doc.date_style), True)
            _field(pdf, 72, top, 30, "Sex", subject.sex, True)
            _field(pdf, 106, top, 92, "Phone", _fmt_phone(subject.phone), True)
            top += 13
            _field(pdf, 18, top, 180, "Address", subject.address, True)
            top += 13
            _field(pdf, 18, top, 90, "Insurance", subject.payer, True)
            _field(pdf, 112, top, 86, "Member ID", subject.member_id, True)
            top += 13
            _field(pdf, 18, top, 180, "Emergency contact", "Pat Example (spouse) 555-0100", True)
            top += 16
            pdf.set_xy(18, top)
            _write(pdf, "Do you have any of the following?", 10, "B")
            conditions = ("Diabetes", "High blood pressure", "Asthma", "Heart disease", "Cancer")
            for i, condition in enumerate(conditions):
                _checkbox(
                    pdf, 18 + (i % 3) * 60, top + 7 + (i // 3) * 7, condition, rng.random() < 0.3
                )
            top += 24
            _field(pdf, 18, top, 180, "Current medications", "lisinopril 10 mg daily", True)
            top += 13
            _field(
                pdf, 18, top, 180, "Allergies", rng.choice(("NKDA", "penicillin", "sulfa")), True
            )
        else:
            pdf.set_xy(18, top)
            _write(pdf, f"Patient: {subject.first} {subject.last}", 11, "B")
            _write(pdf, "Review of systems (check all that apply):", 10, "B")
            symptoms = ("Fever", "Weight loss", "Chest pain", "Shortness of breath", "Headache",
                        "Back pain", "Rash", "Dizziness", "Nausea")  # fmt: skip
            for i, symptom in enumerate(symptoms):
                _checkbox(
                    pdf, 18 + (i % 3) * 60, top + 14 + (i // 3) * 7, symptom, rng.random() < 0.25
                )
            pdf.set_xy(18, top + 42)
            _write(
                pdf,
                "I confirm that the information above is correct to the best of my knowledge.",
                10,
            )
            _signature(pdf, rng, 18, pdf.get_y() + 4)
        _footer(doc, pdf, page, pages, "Please return this form to the front desk.")


def _draw_encounter(
    doc: _Doc, pdf: FPDF, subject: _Subject, appointment: CorpusAppointment
) -> None:
    rng = doc.rng
    pdf.add_page()
    _write(pdf, _PRACTICE.upper(), 13, "B", font="helvetica")
    _write(pdf, "ENCOUNTER FORM", 12, "B")
    _code_block(pdf, doc.code, pdf.w - 18 - 32, 10, 32)
    pdf.set_xy(18, 26)
    when = appointment.starts_at
    _write(pdf, f"Date of service: {when:%m/%d/%Y}   {when:%I:%M %p}", 10)
    _write(pdf, f"Provider: {appointment.provider}    Location: {appointment.location}", 10)
    _write(pdf, f"Visit: {appointment.visit_type}", 10)
    pdf.ln(2)
    _write(pdf, f"Patient: {subject.last}, {subject.first} {subject.middle}".rstrip(), 11, "B")
    _write(pdf, f"DOB: {_fmt_date(subject.dob, 0)}    MRN: {subject.mrn}", 10)
    if subject.payer:
        _write(pdf, f"Insurance: {subject.payer}    Member ID: {subject.member_id}", 10)
    _rule(pdf)
    top = pdf.get_y() + 2
    chosen = set(rng.sample(range(len(_CPT)), 2))
    for i, (code, label) in enumerate(_CPT):
        _checkbox(pdf, 18 + (i % 2) * 90, top + (i // 2) * 7, f"{code}  {label}", i in chosen)
    top += (len(_CPT) + 1) // 2 * 7 + 4
    pdf.set_xy(18, top)
    _write(pdf, "Diagnoses (ICD-10):", 10, "B")
    for i, icd in enumerate(rng.sample(_ICD, 2)):
        _field(pdf, 18 + i * 45, top + 6, 40, f"{i + 1}.", icd, True)
    _signature(pdf, rng, 18, top + 24)
    pdf.set_xy(18, top + 34)
    _write(pdf, "Provider signature", 8)
    _footer(doc, pdf, 1, 1, "Scan this form back in: it files itself by the code above.")


def _draw_consent(doc: _Doc, pdf: FPDF, subject: _Subject, pages: int) -> None:
    rng = doc.rng
    titles = ("CONSENT TO TREATMENT", "FINANCIAL POLICY AND ASSIGNMENT OF BENEFITS")
    for page in range(1, pages + 1):
        pdf.add_page()
        _write(pdf, _PRACTICE.upper(), 13, "B", font="helvetica")
        _write(pdf, titles[(page - 1) % 2], 12, "B")
        _code_block(pdf, doc.code, pdf.w - 18 - 28, 10, 28)
        pdf.set_xy(18, 46)
        for _ in range(3):
            _write(
                pdf,
                "I consent to examination and treatment by the providers of this practice. I understand "
                "that I may ask questions at any time and that I may refuse any treatment. I authorize "
                "the practice to bill my insurance and I accept responsibility for amounts not paid.",
                10,
                font=doc.font,
                h=5.4,
            )
            pdf.ln(3)
        top = pdf.get_y() + 4
        _field(pdf, 18, top, 100, "Patient name", f"{subject.first} {subject.last}", False)
        _field(pdf, 122, top, 50, "Date of birth", _fmt_date(subject.dob, 0), False)
        _signature(pdf, rng, 18, top + 16)
        _footer(doc, pdf, page, pages, "FrontDesk form")


def _draw_cover(doc: _Doc, pdf: FPDF, subject: _Subject, inner_type: str, following: int) -> None:
    pdf.add_page()
    _write(pdf, _PRACTICE.upper(), 14, "B", font="helvetica")
    _write(pdf, "DOCUMENT COVER SHEET - scan or fax this page first", 12, "B")
    pdf.ln(6)
    pdf.image(_qr_png(doc.code), x=60, y=pdf.get_y(), w=90)
    pdf.set_xy(18, pdf.get_y() + 92)
    pdf.set_font("courier", "", 9)
    pdf.cell(0, 5, doc.code, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)
    _write(
        pdf,
        f"Patient: {subject.last}, {subject.first}    DOB: {_fmt_date(subject.dob, 0)}",
        12,
        "B",
    )
    _write(pdf, f"Document: {DocType(inner_type).label}    Pages following: {following}", 11)
    _write(pdf, "Everything behind this sheet is filed to this patient's chart.", 10)


# --- raster and degradation ------------------------------------------------------------------


def _noise(rng: random.Random, size: tuple[int, int], cell: int = 1) -> Image.Image:
    """Uniform noise from the seeded stream (Pillow's own noise is not seedable)."""
    w, h = -(-size[0] // cell), -(-size[1] // cell)
    image = Image.frombytes("L", (w, h), rng.randbytes(w * h))
    return image.resize(size, Image.Resampling.NEAREST) if cell > 1 else image


def _render(data: bytes, dpi: int, *, grey: bool) -> list[Image.Image]:
    document = pdfium.PdfDocument(data)
    try:
        return [
            document[i].render(scale=dpi / 72, grayscale=grey).to_pil().copy()
            for i in range(len(document))
        ]
    finally:
        document.close()


def _fax_page(
    rng: random.Random, page: Image.Image, skew: float, upside: bool, header: str
) -> Image.Image:
    if upside:
        page = page.rotate(180)
    page = page.rotate(skew, resample=Image.Resampling.BILINEAR, fillcolor=255)
    page = page.resize(FAX_SIZE, Image.Resampling.BILINEAR)
    if header:
        ImageDraw.Draw(page).text((12, 2), header, fill=0, font=_font(13))
    specks = _noise(rng, FAX_SIZE, 2).point(lambda v: 0 if v < 2 else 255)
    dropouts = _noise(rng, FAX_SIZE).point(lambda v: 255 if v < 6 else 0)
    page = ImageChops.lighter(ImageChops.darker(page, specks), dropouts)
    threshold = rng.randint(165, 200)
    return page.point(lambda v: 255 if v >= threshold else 0).convert("1", dither=Image.Dither.NONE)


def _scan_page(rng: random.Random, page: Image.Image, skew: float, upside: bool) -> Image.Image:
    if upside:
        page = page.rotate(180)
    page = page.rotate(skew, resample=Image.Resampling.BILINEAR, fillcolor=rng.randint(225, 250))
    grain = _noise(rng, page.size).point(lambda v: v * 14 // 255)
    page = ImageChops.add(page, grain, 1, -7)
    lift = rng.randint(6, 18)
    return page.point(lambda v: min(255, lift + v * (255 - lift) // 255))


def _photo(rng: random.Random, card: Image.Image, angle: float, upside: bool) -> Image.Image:
    card = card.convert("RGBA")
    if upside:
        card = card.rotate(180)
    card = card.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    w, h = card.size
    size = (int(w * rng.uniform(1.25, 1.5)), int(h * rng.uniform(1.35, 1.7)))
    base = rng.choice(((132, 96, 64), (90, 90, 95), (40, 55, 80), (200, 195, 185)))
    background = Image.new("RGB", size, base)
    shade = Image.linear_gradient("L").resize(size).point(lambda v: 40 + v // 3)
    background = Image.composite(
        background, Image.new("RGB", size, (0, 0, 0)), shade.point(lambda v: 255 - v // 2)
    )
    grain = _noise(rng, size, 2).convert("RGB").point(lambda v: v * 24 // 255)
    background = ImageChops.add(background, grain, 1, -12)
    offset = (rng.randint(0, size[0] - w), rng.randint(0, size[1] - h))
    background.paste(card, offset, card)
    photo = background.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.1)))
    longest = max(photo.size)
    if longest > 1600:
        scale = 1600 / longest
        photo = photo.resize(
            (int(photo.width * scale), int(photo.height * scale)), Image.Resampling.BILINEAR
        )
    return photo


# --- planning -------------------------------------------------------------------------------


def _confusables(patients: Sequence[CorpusPatient]) -> dict[int, list[str]]:
    """Patients another one could be mistaken for.

    ``same_name``: same first and last name, another date of birth. ``twin``: same last name and date
    of birth. ``same_last_name``: same last name and first initial ("J. Doe" fits both); a shared
    surname alone is too common in a large practice to be a hard case.
    """
    by_last: dict[str, list[CorpusPatient]] = defaultdict(list)
    for patient in patients:
        by_last[patient.last.lower()].append(patient)
    tags: dict[int, list[str]] = {}
    for group in by_last.values():
        if len(group) < 2:
            continue
        for patient in group:
            found: list[str] = []
            for other in group:
                if other.id == patient.id:
                    continue
                if other.first.lower() == patient.first.lower() and other.dob != patient.dob:
                    found.append("same_name")
                elif other.dob == patient.dob:
                    found.append("twin")
                elif other.first[:1].lower() == patient.first[:1].lower():
                    found.append("same_last_name")
            if found:
                tags[patient.id] = sorted(set(found))
    return tags


def _slots(rng: random.Random, count: int, with_appointments: bool) -> list[str]:
    """The kind of each document: quotas for the hard cases, the rest by weight (each type once)."""
    multi = max(1, round(MULTI_PATIENT_SHARE * count)) if count >= 6 else 0
    non_patient = max(1, round(NON_PATIENT_SHARE * count)) if count >= 6 else 0
    weights = {
        k: w for k, w in _TYPE_WEIGHTS.items() if with_appointments or k != DocType.ENCOUNTER_FORM
    }
    rest = count - multi - non_patient
    total = sum(weights.values())
    shares = {k: rest * w / total for k, w in weights.items()}
    quota = {k: int(v) for k, v in shares.items()}
    if rest >= len(weights):
        for k in quota:
            quota[k] = max(1, quota[k])
    while sum(quota.values()) > rest:
        biggest = max(quota, key=lambda k: (quota[k], k))
        quota[biggest] -= 1
    by_remainder = sorted(weights, key=lambda k: (-(shares[k] - int(shares[k])), k))
    i = 0
    while sum(quota.values()) < rest:
        quota[by_remainder[i % len(by_remainder)]] += 1
        i += 1
    slots = ["multi"] * multi + ["non_patient"] * non_patient
    for kind in weights:
        slots += [kind] * quota[kind]
    rng.shuffle(slots)
    return slots


def _sender_for(
    rng: random.Random, kind: str, subject: _Subject, patients: Sequence[CorpusPatient]
) -> tuple[_Sender, bool]:
    """The letterhead on a document, and whether its doctor shares a surname with a patient."""
    city, area = rng.choice(_CITIES)
    street = f"{rng.randint(10, 999)} {rng.choice(_STREETS)}"
    phone = f"({area}) 555-01{rng.randint(0, 99):02d}"
    fax = f"({area}) 555-01{rng.randint(0, 99):02d}"
    if kind == DocType.LAB_RESULT:
        org = rng.choice(_LABS)
    elif kind == DocType.IMAGING_REPORT:
        org = rng.choice(_IMAGING)
    elif kind in (DocType.PRIOR_AUTH, DocType.PAYER_LETTER, DocType.INSURANCE_CARD):
        org = subject.payer or rng.choice(_PAYERS)
        return _Sender(org, "", "PO Box 1000", city, "(800) 555-0100", "(800) 555-0199"), False
    elif kind == DocType.RECORDS_REQUEST and rng.random() < 0.5:
        org = rng.choice(_LAW_FIRMS)
        return _Sender(
            org,
            f"{rng.choice(_DOCTOR_FIRST)} {rng.choice(_DOCTOR_LAST)}, Esq.",
            street,
            city,
            phone,
            fax,
        ), False
    else:
        org = rng.choice(_SPECIALISTS)
    last = rng.choice(_DOCTOR_LAST)
    distractor = False
    others = [p for p in patients if p.last != subject.last]
    if others and rng.random() < 0.08:
        last, distractor = rng.choice(others).last, True
    title = "MD" if rng.random() < 0.8 else "DO"
    return _Sender(
        org, f"Dr. {rng.choice(_DOCTOR_FIRST)} {last}, {title}", street, city, phone, fax
    ), distractor


def _outsider(rng: random.Random, patients: Sequence[CorpusPatient]) -> tuple[_Subject, list[str]]:
    """A person who is not a patient of the practice, sometimes named like one."""
    names = {(p.first.lower(), p.last.lower()) for p in patients}
    roll = rng.random()
    hard = ["non_patient"]
    template = rng.choice(list(patients)) if patients else None
    dob = dt.date(rng.randint(1935, 2015), rng.randint(1, 12), rng.randint(1, 28))
    if template is not None and roll < 0.2:
        # Same first and last name as a patient, another date of birth.
        while dob == template.dob:
            dob += dt.timedelta(days=rng.randint(30, 4000))
        first, last = template.first, template.last
        hard.append("same_name")
    elif template is not None and roll < 0.55:
        # Same last name and first initial as a patient ("J. Doe" fits both).
        initial = [n for n in _OUTSIDE_FIRST if n[0].lower() == template.first[:1].lower()]
        first, last = rng.choice(initial or list(_OUTSIDE_FIRST)), template.last
        if initial:
            hard.append("same_last_name")
    else:
        first, last = rng.choice(_OUTSIDE_FIRST), rng.choice(_OUTSIDE_LAST)
    if (first.lower(), last.lower()) in names and "same_name" not in hard:
        last = rng.choice(_OUTSIDE_LAST)
        hard = ["non_patient"]
    digits = f"{rng.choice(('518', '716', '312'))}555{rng.randint(200, 999):04d}"
    subject = _Subject(
        patient_id=None,
        first=first,
        last=last,
        dob=dob,
        middle=rng.choice(("", "", "Lee", "Marie")),
        mrn=f"X{rng.randint(10**6, 10**7 - 1)}",
        phone=digits,
        member_id=f"ZZ{rng.randint(10**8, 10**9 - 1)}",
        payer=rng.choice(_PAYERS),
        sex=rng.choice(("F", "M")),
        address=f"{rng.randint(1, 99)} Elsewhere Rd, Nowhere, NY 12999",
    )
    return subject, hard


def _typo(rng: random.Random, name: str) -> str:
    if len(name) < 4:
        return name + name[-1]
    i = rng.randint(1, len(name) - 3)
    if rng.random() < 0.5:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + name[i + 1 :]


# --- the generator ----------------------------------------------------------------------------


def generate_corpus(
    patients: list[CorpusPatient],
    out: Path,
    *,
    count: int = 320,
    seed: int = 7,
    appointments: Sequence[CorpusAppointment] = (),
) -> dict[str, Any]:
    """Write ``count`` labelled documents about ``patients`` and ``manifest.json`` into ``out``.

    Returns the manifest. ``out`` is created if missing; files in it with the same names are replaced.
    """
    if not patients:
        raise ValueError("The corpus needs at least one patient.")
    if count < 1:
        raise ValueError("The corpus needs at least one document.")
    started = time.monotonic()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    patients = sorted(patients, key=lambda p: p.id)
    by_id = {p.id: p for p in patients}
    usable_appointments = sorted(
        (a for a in appointments if a.patient_id in by_id), key=lambda a: a.id
    )
    confusable = _confusables(patients)
    strong = sorted(i for i, tags in confusable.items() if {"same_name", "twin"} & set(tags))
    confusable_ids = (strong, sorted(set(confusable) - set(strong)))
    providers = sorted({a.provider for a in usable_appointments}) or list(_PRACTICE_DOCTORS)
    documents = []
    for index, slot in enumerate(_slots(rng, count, bool(usable_appointments)), start=1):
        doc_rng = random.Random(rng.getrandbits(64))
        entry = _one_document(
            doc_rng,
            index,
            slot,
            out,
            patients,
            confusable,
            confusable_ids,
            providers,
            usable_appointments,
        )
        documents.append(entry)
    manifest = {
        "seed": seed,
        "count": count,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "generator_seconds": round(time.monotonic() - started, 1),
        "page_ranges": "zero-based, half-open: [0, 2] is the first two pages",
        "documents": documents,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def _pick_patient(
    rng: random.Random,
    patients: Sequence[CorpusPatient],
    confusable_ids: tuple[Sequence[int], Sequence[int]],
) -> CorpusPatient:
    """Mostly anyone; some of the time a patient with a namesake (12%) or a near one (6%)."""
    strong, weak = confusable_ids
    roll = rng.random()
    pool = strong if roll < 0.12 else (weak if roll < 0.18 else ())
    if pool:
        chosen = rng.choice(list(pool))
        return next(p for p in patients if p.id == chosen)
    return rng.choice(list(patients))


def _one_document(
    rng: random.Random,
    index: int,
    slot: str,
    out: Path,
    patients: Sequence[CorpusPatient],
    confusable: dict[int, list[str]],
    confusable_ids: tuple[Sequence[int], Sequence[int]],
    providers: Sequence[str],
    appointments: Sequence[CorpusAppointment],
) -> dict[str, Any]:
    hard: list[str] = []
    appointment: CorpusAppointment | None = None
    inner_type = ""
    doc_type: str
    if slot == "multi":
        doc_type = DocType.LAB_RESULT
        capture = "fax"
        chosen: list[CorpusPatient] = []
        for _ in range(rng.choice((2, 2, 3))):
            pool = [p for p in patients if p not in chosen] or list(patients)
            chosen.append(rng.choice(pool))
        subjects = [_Subject.of(p) for p in chosen]
        hard.append("multi_patient")
    elif slot == "non_patient":
        doc_type = rng.choice(_OUTSIDE_TYPES)
        capture = _weighted(rng, _CAPTURES[doc_type])
        subject, outsider_hard = _outsider(rng, patients)
        subjects = [subject]
        hard += outsider_hard
    elif slot == DocType.ENCOUNTER_FORM:
        doc_type = DocType.ENCOUNTER_FORM
        capture = _weighted(rng, _CAPTURES[doc_type])
        appointment = rng.choice(list(appointments))
        subjects = [_Subject.of(next(p for p in patients if p.id == appointment.patient_id))]
    else:
        if slot == "cover":
            inner_type = rng.choice(_COVERED_TYPES)
            doc_type = inner_type
        else:
            doc_type = slot
        capture = _weighted(rng, _CAPTURES[slot])
        patient = _pick_patient(rng, patients, confusable_ids)
        if doc_type in _PAYER_PAPER and not patient.member_id:
            # Payer paper is about someone with coverage (when anyone has it).
            insured = [p for p in patients if p.member_id]
            patient = rng.choice(insured) if insured else patient
        subjects = [_Subject.of(patient)]

    our_paper = slot in ("cover", DocType.ENCOUNTER_FORM, DocType.CONSENT_FORM, DocType.INTAKE_FORM)
    subject = subjects[0]
    sender, distractor = _sender_for(rng, doc_type, subject, patients)
    if distractor and not our_paper:
        hard.append("distractor_name")
    doc = _Doc(
        rng=rng,
        index=index,
        doc_type=doc_type,
        capture=capture,
        sender=sender,
        addressee=rng.choice(list(providers)),
        font=rng.choice(("helvetica", "times", "courier")),
        date_style=rng.randrange(6),
        name_style=rng.randrange(5),
        day=REFERENCE_DAY - dt.timedelta(days=rng.randint(0, 60)),
    )

    # What identifies the patient on this paper.
    shows: set[str] = set()
    if doc_type in (DocType.INTAKE_FORM, DocType.PHOTO_ID):
        shows = {"dob", "address", "phone"}
    elif doc_type == DocType.INSURANCE_CARD:
        shows = {"member_id"} | ({"dob"} if rng.random() < 0.15 else set())
    elif not our_paper or slot == "cover":
        if rng.random() < 0.9:
            shows.add("dob")
        if rng.random() < 0.25:
            shows.add("mrn")
        if rng.random() < 0.2:
            shows.add("phone")
        if doc_type in (DocType.PRIOR_AUTH, DocType.PAYER_LETTER) or (
            doc_type == DocType.REFERRAL and rng.random() < 0.6
        ):
            shows.add("member_id")
        if doc_type == DocType.RECORDS_REQUEST and rng.random() < 0.5:
            shows.add("address")
        if doc_type == DocType.PAYER_LETTER:
            shows.discard("mrn")
        if (
            slot not in ("multi", "cover")
            and doc_type != DocType.PAYER_LETTER
            and rng.random() < 0.07
        ):
            shows = set()  # a name and nothing else: must go to review
    else:
        shows = {"dob", "mrn"}
    doc.shows = shows

    # Names as others write them: nicknames and typos on outside paper.
    if (
        not our_paper
        and slot not in ("multi", "non_patient")
        and doc_type
        not in (
            DocType.PHOTO_ID,
            DocType.INSURANCE_CARD,
        )
    ):
        roll = rng.random()
        if roll < 0.05 and subject.first in _NICKNAMES:
            subject.first = _NICKNAMES[subject.first]
            hard.append("nickname")
        elif roll < 0.09:
            if rng.random() < 0.5:
                subject.last = _typo(rng, subject.last)
            else:
                subject.first = _typo(rng, subject.first)
            hard.append("typo")
    for s in subjects:
        if s.patient_id is not None:
            hard += confusable.get(s.patient_id, [])
    if "dob" not in shows and doc_type not in (DocType.INSURANCE_CARD,):
        hard.append("no_dob")
    if not shows & {"dob", "mrn", "phone", "member_id"}:
        hard.append("name_only")

    # The codes FrontDesk prints on its own paper.
    if slot == "cover":
        assert subject.patient_id is not None
        doc.code = encode_document_code(subject.patient_id, inner_type)
    elif doc_type == DocType.CONSENT_FORM:
        assert subject.patient_id is not None
        doc.code = encode_document_code(subject.patient_id, DocType.CONSENT_FORM)
    elif doc_type == DocType.INTAKE_FORM and rng.random() < 0.5:
        assert subject.patient_id is not None
        doc.code = encode_document_code(subject.patient_id, DocType.INTAKE_FORM)
    elif appointment is not None:
        doc.code = encode_form_code(appointment.id)

    # Draw.
    segments: list[dict[str, Any]] = []
    card_doc = doc_type in (DocType.INSURANCE_CARD, DocType.PHOTO_ID)
    if card_doc and capture == "photo":
        pdf = _new_pdf(doc, CARD_MM)
        pdf.set_margins(0, 0, 0)
        pdf.add_page()
        if doc_type == DocType.INSURANCE_CARD:
            _draw_card_front(doc, pdf, subject, 0, 0)
        else:
            _draw_licence(doc, pdf, subject, 0, 0)
    else:
        pdf = _new_pdf(doc)
        if card_doc:
            pdf.add_page()
            if doc_type == DocType.INSURANCE_CARD:
                _draw_card_front(doc, pdf, subject, 20, 20)
                if rng.random() < 0.6:
                    _draw_card_back(doc, pdf, 20, 85)
            else:
                _draw_licence(doc, pdf, subject, 20, 20)
        elif slot == "multi":
            for s in subjects:
                start = pdf.page_no()
                _draw_lab(doc, pdf, s, rng.choice((1, 1, 2)))
                segments.append(
                    {
                        "pages": [start, pdf.page_no()],
                        "patient_id": s.patient_id,
                        "doc_type": str(doc_type),
                    }
                )
        elif slot == "cover":
            pages = rng.randint(1, 2)
            _draw_cover(doc, pdf, subject, inner_type, pages)
            _DRAWERS[inner_type](doc, pdf, subject, pages)
        elif doc_type == DocType.ENCOUNTER_FORM:
            assert appointment is not None
            _draw_encounter(doc, pdf, subject, appointment)
        else:
            _DRAWERS[doc_type](doc, pdf, subject, rng.choice(_PAGES[doc_type]))
    data = bytes(pdf.output())
    page_count = pdf.page_no()
    if not segments:
        segments = [
            {"pages": [0, page_count], "patient_id": subject.patient_id, "doc_type": str(doc_type)}
        ]

    # Capture and degrade.
    skew = 0.0
    upside: list[int] = []
    stem = f"{index:04d}-{doc_type}"
    if capture == "born_digital":
        kind, path = "pdf", out / f"{stem}.pdf"
        path.write_bytes(data)
    elif capture == "photo":
        skew = round(rng.uniform(-14, 14), 2)
        flip = rng.random() < 0.05
        upside = [0] if flip else []
        card = _render(data, 300, grey=False)[0]
        photo = _photo(rng, card, skew, flip)
        if rng.random() < 0.75:
            kind, path = "jpeg", out / f"{stem}.jpg"
            photo.save(path, "JPEG", quality=82)
        else:
            kind, path = "png", out / f"{stem}.png"
            photo.save(path, "PNG")
    else:
        skew = round(rng.uniform(-MAX_SKEW, MAX_SKEW), 2)
        whole = rng.random() < UPSIDE_DOWN_SHARE
        upside = list(range(page_count)) if whole else []
        if not whole and page_count > 1 and rng.random() < 0.04:
            upside = [rng.randrange(page_count)]
        pages_raster = _render(data, RENDER_DPI, grey=True)
        if capture == "fax":
            headed = rng.random() < 0.65
            stamp = f"{doc.day:%b %d %Y} {rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}"
            images = [
                _fax_page(
                    rng,
                    page,
                    skew,
                    i in upside,
                    f"{stamp}  FROM: {sender.org.upper()[:30]}  {sender.fax}   TO: DEMO FAMILY PRACTICE"
                    f"   PAGE {i + 1}/{page_count}"
                    if headed
                    else "",
                )
                for i, page in enumerate(pages_raster)
            ]
            kind, path = "tiff", out / f"{stem}.tif"
            images[0].save(
                path, save_all=True, append_images=images[1:], compression="group4", dpi=FAX_DPI
            )
        else:
            images = [
                _scan_page(rng, page, skew, i in upside) for i, page in enumerate(pages_raster)
            ]
            kind, path = "pdf", out / f"{stem}.pdf"
            stamp_time = (_CREATED + dt.timedelta(minutes=index)).utctimetuple()
            images[0].save(
                path,
                "PDF",
                save_all=True,
                append_images=images[1:],
                resolution=RENDER_DPI,
                quality=80,
                creationDate=stamp_time,
                modDate=stamp_time,
                producer="Example Scanner",
            )
    if upside:
        hard.append("upside_down")
    shown = ["name", *sorted(shows)]
    return {
        "file": path.name,
        "kind": kind,
        "source": _SOURCE[capture],
        "capture": capture,
        "doc_type": str(doc_type),
        "pages": page_count,
        "segments": segments,
        "upside_down_pages": upside,
        "skew_degrees": skew,
        "carries_code": bool(doc.code),
        "code": doc.code.split(":")[0] if doc.code else "",
        "cover_sheet": slot == "cover",
        "identifiers": shown,
        "hard": sorted(set(hard)),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


_DRAWERS: dict[str, Callable[[_Doc, FPDF, _Subject, int], None]] = {
    DocType.LAB_RESULT: _draw_lab,
    DocType.IMAGING_REPORT: _draw_imaging,
    DocType.CONSULT_NOTE: _draw_letter,
    DocType.REFERRAL: _draw_referral,
    DocType.RECORDS_REQUEST: _draw_records_request,
    DocType.PRIOR_AUTH: _draw_prior_auth,
    DocType.PAYER_LETTER: _draw_eob,
    DocType.INTAKE_FORM: _draw_intake,
    DocType.CONSENT_FORM: _draw_consent,
}


def summarize(manifest: dict[str, Any]) -> dict[str, Any]:
    """Counts for a manifest: documents, pages, by type, by capture, hard cases."""
    documents = manifest["documents"]
    by_type = Counter(d["doc_type"] for d in documents)
    by_capture = Counter(d["capture"] for d in documents)
    hard = Counter(tag for d in documents for tag in d["hard"])
    return {
        "documents": len(documents),
        "pages": sum(d["pages"] for d in documents),
        "segments": sum(len(d["segments"]) for d in documents),
        "by_type": dict(sorted(by_type.items())),
        "by_capture": dict(sorted(by_capture.items())),
        "hard": dict(sorted(hard.items())),
        "with_code": sum(1 for d in documents if d["carries_code"]),
        "not_a_patient": sum(
            1 for d in documents for s in d["segments"] if s["patient_id"] is None
        ),
    }
