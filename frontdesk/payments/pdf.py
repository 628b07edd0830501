"""Printed money documents of the drawer and the day close (fpdf2), stored once with their SHA-256.

A drawer's close report (expected vs counted per tender, the variance, its reason and approval), its
deposit slip (the checks listed with numbers and amounts, the cash by denomination) and the day
close report (totals by tender, staff and provider). Each is rendered once when the drawer or day
closes, written to the file storage, and recorded with its SHA-256; ``report_read`` re-reads the file,
refuses it if the hash no longer matches, and audits the download.
"""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from fpdf import FPDF

from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import Conflict
from frontdesk.core.money import format_money
from frontdesk.payments.choices import DENOMINATIONS
from frontdesk.payments.drawer_models import DayClose, DrawerClose, StoredReport
from frontdesk.payments.models import DrawerSession
from frontdesk.practice.models import Location

MSG_TAMPERED = (
    "This stored report no longer matches the fingerprint recorded when it was written; it has been "
    "altered or damaged. Nothing was downloaded; tell the practice manager."
)
TENDER_LABELS = {"cash": "Cash", "check": "Checks", "card": "Card batch (card + HSA/FSA)"}
DENOMINATION_LABELS = dict(DENOMINATIONS)


def _latin(text: str) -> str:
    """The core PDF fonts are Latin-1; anything else is replaced rather than failing the print."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _money(value: Any) -> str:
    return format_money(Decimal(str(value)))


def _new(title: str) -> FPDF:
    pdf = FPDF(orientation="portrait", format="Letter")
    pdf.set_title(title)
    pdf.set_creation_date(timezone.now())
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, _latin(title), new_x="LMARGIN", new_y="NEXT")
    return pdf


def _line(pdf: FPDF, label: str, value: str = "", *, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 10)
    pdf.cell(90, 7, _latin(label))
    pdf.cell(0, 7, _latin(value), new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, heads: tuple[str, ...], widths: tuple[int, ...], rows: list[tuple]) -> None:
    pdf.set_font("Helvetica", "B", 10)
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 7, head, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for row in rows:
        for width, text in zip(widths, row, strict=True):
            pdf.cell(width, 7, _latin(str(text))[:48], border=1)
        pdf.ln()


def _who(user: Any) -> str:
    return user.get_full_name() or user.get_username() if user else ""


def _header(pdf: FPDF, drawer: DrawerSession) -> None:
    tz = drawer.location.tzinfo
    _line(pdf, "Location", drawer.location.name)
    _line(pdf, "Workstation", drawer.workstation)
    _line(pdf, "Staff member", _who(drawer.user))
    _line(pdf, "Business day", f"{drawer.business_date:%A %d %B %Y}")
    _line(pdf, "Opened", f"{drawer.opened_at.astimezone(tz):%m/%d/%Y %H:%M}")
    _line(pdf, "Drawer number", str(drawer.pk))


def drawer_close_pdf(*, drawer: DrawerSession, close: DrawerClose) -> bytes:
    """The close report of one drawer: expected vs counted per tender, variance, reason, approval."""
    tz = drawer.location.tzinfo
    pdf = _new("Drawer close report")
    _header(pdf, drawer)
    _line(
        pdf,
        "Counted",
        f"{close.counted_at.astimezone(tz):%m/%d/%Y %H:%M} by {_who(close.counted_by)}",
    )
    _line(pdf, "Opening float", _money(drawer.opening_float))
    pdf.ln(3)
    rows = [
        (
            TENDER_LABELS[kind],
            _money(parts["expected"]),
            _money(parts["counted"]),
            _money(parts["variance"]),
        )
        for kind, parts in close.tenders.items()
    ]
    _table(pdf, ("Tender", "Expected", "Counted", "Variance"), (70, 40, 40, 40), rows)
    pdf.ln(3)
    _line(pdf, "Total variance", _money(drawer.variance or 0), bold=True)
    if drawer.variance_reason:
        _line(pdf, "Reason given", drawer.variance_reason[:90])
    if drawer.approved_by_id:
        when = drawer.approved_at.astimezone(tz) if drawer.approved_at else None
        _line(
            pdf, "Approved by", f"{_who(drawer.approved_by)} {when:%m/%d/%Y %H:%M}" if when else ""
        )
        _line(pdf, "Approval note", close.approval_note[:90])
    if drawer.closed_at:
        _line(pdf, "Closed", f"{drawer.closed_at.astimezone(tz):%m/%d/%Y %H:%M}")
    return bytes(pdf.output())


def deposit_slip_pdf(*, drawer: DrawerSession, close: DrawerClose) -> bytes:
    """The bank deposit: the checks with numbers and amounts, the cash by denomination.

    The deposit is what was counted, less the opening float that stays in the drawer.
    """
    pdf = _new("Deposit slip")
    _header(pdf, drawer)
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Cash counted", new_x="LMARGIN", new_y="NEXT")
    cash_rows = [
        (DENOMINATION_LABELS.get(value, value), str(count), _money(Decimal(value) * count))
        for value, count in (drawer.closing_counts or {}).items()
    ]
    _table(pdf, ("Denomination", "Count", "Amount"), (70, 30, 40), cash_rows)
    counted_cash = drawer.counted_cash or Decimal("0")
    _line(pdf, "Cash counted", _money(counted_cash), bold=True)
    _line(pdf, "Less opening float kept in the drawer", _money(drawer.opening_float))
    cash_deposit = counted_cash - drawer.opening_float
    _line(pdf, "Cash to deposit", _money(cash_deposit), bold=True)
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Checks", new_x="LMARGIN", new_y="NEXT")
    _table(
        pdf,
        ("Check number", "Amount"),
        (70, 40),
        [(c["number"], _money(c["amount"])) for c in close.checks],
    )
    checks_total = drawer.counted_checks or Decimal("0")
    _line(pdf, f"Checks ({len(close.checks)} listed)", _money(checks_total), bold=True)
    pdf.ln(3)
    _line(pdf, "Total deposit", _money(cash_deposit + checks_total), bold=True)
    return bytes(pdf.output())


def day_close_pdf(*, close: DayClose) -> bytes:
    """The day close report of a location: totals by tender, staff, provider; the drawers."""
    location = close.location
    tz = location.tzinfo
    totals = close.totals
    pdf = _new(f"Day close - {location.name} - {close.date:%A %d %B %Y}")
    _line(
        pdf, "Closed", f"{close.closed_at.astimezone(tz):%m/%d/%Y %H:%M} by {_who(close.closed_by)}"
    )
    _line(pdf, "Payments", str(totals["payment_count"]))
    _line(pdf, "Net collected", _money(totals["net"]), bold=True)
    pdf.ln(3)
    _table(
        pdf,
        ("Tender", "Payments", "Voids", "Refunds", "Net"),
        (50, 35, 35, 35, 35),
        [
            (
                kind,
                _money(t["payments"]),
                _money(t["voids"]),
                _money(t["refunds"]),
                _money(t["net"]),
            )
            for kind, t in totals["tenders"].items()
        ],
    )
    pdf.ln(3)
    _table(
        pdf,
        ("Staff member", "Net"),
        (100, 40),
        [(r["name"], _money(r["net"])) for r in totals["staff"]],
    )
    pdf.ln(3)
    _table(
        pdf,
        ("Provider", "Net"),
        (100, 40),
        [(r["name"], _money(r["net"])) for r in totals["providers"]],
    )
    pdf.ln(3)
    _table(
        pdf,
        ("Drawer", "Staff member", "Status", "Variance"),
        (40, 70, 40, 30),
        [
            (
                d["workstation"],
                d["user"],
                d["status"],
                _money(d["variance"]) if d["variance"] else "",
            )
            for d in totals["drawers"]
        ],
    )
    return bytes(pdf.output())


def store_report(*, actor: Any, kind: str, location: Location, data: bytes) -> StoredReport:
    """Write a PDF to the file storage under a new name and record its SHA-256 (never overwritten)."""
    now = timezone.now()
    name = default_storage.save(
        f"payments/{kind}/{now:%Y/%m}/{uuid.uuid4().hex}.pdf", ContentFile(data)
    )
    return StoredReport.objects.create(
        kind=kind,
        location=location,
        file_name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        created_at=now,
        created_by=actor,
    )


def report_read(*, actor: Any, report: StoredReport, object_type: str, object_id: Any) -> bytes:
    """The stored bytes of a report, after checking its SHA-256; every download is audited."""
    try:
        with default_storage.open(report.file_name, "rb") as handle:
            data = handle.read()
    except OSError:
        data = b""
    intact = hashlib.sha256(data).hexdigest() == report.sha256
    audit_record(
        actor=actor,
        action=AuditAction.PRINT,
        category=AuditCategory.FINANCIAL,
        object_type=object_type,
        object_id=object_id,
        outcome=AuditOutcome.SUCCESS if intact else AuditOutcome.FAILURE,
        detail={"view": f"{report.kind}_pdf", "report_id": report.pk, "intact": intact},
    )
    if not intact:
        raise Conflict(MSG_TAMPERED, code="report_tampered")
    return data
