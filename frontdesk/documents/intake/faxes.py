"""Faxes in and out: the provider's inbound fax, its delivery reports, and sending a chart document.

Inbound (``fax_receive``, called by the signed webhook): the fax file goes through
``document_receive`` (source ``fax``) into the inbox of the location whose number was called
(``FRONTDESK_FAX_NUMBERS``, else ``FRONTDESK_FAX_DEFAULT_LOCATION``), logged as one incoming fax row
keyed by the provider's id: the same id again returns the first row and writes nothing.

Outbound (``document_send_fax``): a cover sheet (practice, location, to/from, pages, the sender's
own note, a confidentiality notice - nothing from the chart) plus the document's current version,
sent through the configured transport and logged out/fax/queued; the provider's status report
(``fax_status_update``) turns the row sent or failed. A fax reported sent is recorded in the
patient's disclosure log (purpose treatment: records sent to another provider).
"""

from __future__ import annotations

import io
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from fpdf import FPDF
from PIL import Image, ImageSequence
from pypdf import PdfReader, PdfWriter

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.core.queryset import get_restricted
from frontdesk.disclosures.choices import Purpose
from frontdesk.disclosures.services import DisclosureEntry, disclosures_record
from frontdesk.documents.blobs import blob_read
from frontdesk.documents.choices import (
    Channel,
    CorrespondenceStatus,
    Direction,
    DocType,
    Kind,
    Source,
)
from frontdesk.documents.fax import FaxError, fax_transport
from frontdesk.documents.intake.records import correspondence_find, correspondence_record_in
from frontdesk.documents.models import Correspondence, Document
from frontdesk.documents.services import document_receive
from frontdesk.practice.models import Location

MAX_NOTE = 1000
CONFIDENTIALITY_NOTICE = (
    "CONFIDENTIALITY NOTICE: This facsimile may contain protected health information that is "
    "privileged and confidential under federal and state law. It is intended only for the "
    "recipient named above. If you are not the intended recipient, any review, disclosure, "
    "copying or distribution is prohibited. If you received this fax in error, please notify the "
    "sender by telephone at once and destroy all copies."
)
# Provider words for the delivery outcome.
SENT_WORDS = frozenset({"sent", "delivered", "success", "completed"})
FAILED_WORDS = frozenset({"failed", "failure", "error", "busy", "no_answer", "cancelled"})


def normalize_number(raw: str) -> str:
    """``+`` and digits only; ValidationFailed unless it is 7 to 15 digits."""
    text = (raw or "").strip()
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15 or re.search(r"[^\d\s()+.\-]", text):
        raise ValidationFailed("Enter the fax number with its area code.", field="to_number")
    return ("+" if text.startswith("+") else "") + digits


def fax_location(to_number: str) -> Location | None:
    """The location whose inbox receives a fax to ``to_number`` (None when none is configured)."""
    numbers: dict[str, str] = settings.FRONTDESK_FAX_NUMBERS
    wanted = re.sub(r"\D", "", to_number or "")
    code = next(
        (
            code
            for number, code in numbers.items()
            if wanted and re.sub(r"\D", "", number) == wanted
        ),
        settings.FRONTDESK_FAX_DEFAULT_LOCATION,
    )
    if not code:
        return None
    return Location.objects.filter(code=code, is_active=True).first()


def fax_receive(
    *,
    data: bytes,
    name: str,
    from_number: str,
    to_number: str,
    pages: int,
    provider_id: str,
) -> tuple[Correspondence, bool]:
    """Take one inbound fax in; (row, created). The same provider id again writes nothing.

    ValidationFailed (nothing written) without a provider id or a location for the number called.
    """
    provider_id = (provider_id or "").strip()[:200]
    if not provider_id:
        raise ValidationFailed("The provider's fax id is missing.", field="id")
    existing = correspondence_find(
        channel=Channel.FAX, direction=Direction.IN, external_id=provider_id
    )
    if existing is not None:
        return existing, False
    location = fax_location(to_number)
    if location is None:
        raise ValidationFailed(
            "No location receives faxes to this number: set FRONTDESK_FAX_NUMBERS or "
            "FRONTDESK_FAX_DEFAULT_LOCATION.",
            field="to",
        )
    try:
        with transaction.atomic():
            item = document_receive(
                actor=None, location=location, source=Source.FAX, name=name or "fax.pdf", data=data
            )
            row = correspondence_record_in(
                location=location,
                channel=Channel.FAX,
                source=Source.FAX,
                items=[item],
                counterpart=from_number,
                external_id=provider_id,
                pages=pages if pages > 0 else item.blob.pages,
            )
    except IntegrityError:
        # The same fax delivered twice at once: the other request's row won; this wrote nothing.
        found = correspondence_find(
            channel=Channel.FAX, direction=Direction.IN, external_id=provider_id
        )
        if found is None:
            raise
        return found, False
    return row, True


# --- outbound ------------------------------------------------------------------------------------


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def fax_cover_sheet(
    *,
    practice: str,
    location: Location,
    to_number: str,
    from_number: str,
    sender: str,
    pages: int,
    note: str,
    sent_at: Any,
) -> bytes:
    """A one-page cover sheet. Nothing from the chart: only what the sender typed and the practice."""
    pdf = FPDF(orientation="portrait", format="Letter")
    pdf.set_title("Fax cover sheet")
    pdf.set_creator("FrontDesk")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 22)
    pdf.cell(0, 12, _latin(practice), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 11)
    place = ", ".join(
        part for part in (location.name, location.address_line1, location.city) if part
    )
    pdf.cell(0, 6, _latin(place), new_x="LMARGIN", new_y="NEXT")
    contact = "   ".join(
        part
        for part in (
            f"Phone {location.phone}" if location.phone else "",
            f"Fax {from_number}" if from_number else "",
        )
        if part
    )
    if contact:
        pdf.cell(0, 6, _latin(contact), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("helvetica", "B", 28)
    pdf.cell(0, 14, "FAX", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    rows = [
        ("To fax", to_number),
        ("From", sender),
        ("From fax", from_number or "-"),
        ("Date", f"{sent_at:%Y-%m-%d %H:%M %Z}"),
        ("Pages", f"{pages} including this cover sheet"),
    ]
    for label, value in rows:
        pdf.set_font("helvetica", "B", 12)
        pdf.cell(40, 8, _latin(label))
        pdf.set_font("helvetica", "", 12)
        pdf.cell(0, 8, _latin(value), new_x="LMARGIN", new_y="NEXT")
    if note.strip():
        pdf.ln(6)
        pdf.set_font("helvetica", "B", 12)
        pdf.cell(0, 8, "Note", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", "", 12)
        pdf.multi_cell(0, 6, _latin(note.strip()), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("helvetica", "", 9)
    pdf.multi_cell(0, 5, CONFIDENTIALITY_NOTICE, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def as_pdf(data: bytes, kind: str) -> bytes:
    """A stored document's bytes as a PDF (images become one page per frame)."""
    if kind == Kind.PDF:
        return data
    if kind not in {Kind.JPEG, Kind.PNG, Kind.TIFF}:
        raise ValidationFailed("This document's file type cannot be faxed.", field="document")
    with Image.open(io.BytesIO(data)) as image:
        frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]
    out = io.BytesIO()
    frames[0].save(out, format="PDF", save_all=True, append_images=frames[1:], resolution=200)
    return out.getvalue()


def _join(*pdfs: bytes) -> tuple[bytes, int]:
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages)


def document_send_fax(
    *, actor: Any, document_id: Any, to_number: str, cover_note: str = ""
) -> Correspondence:
    """Fax a chart document's current version with a cover sheet; returns its log row.

    The row is written (out/fax/queued, audited) before the transport is called, so a fax that
    left is never unlogged; a transport failure turns it failed with the transport's short code.
    NotFound for a document outside the actor's scope; PermissionDenied without document.send.
    """
    if not actor.can(A.DOCUMENT_SEND):
        raise PermissionDenied()
    document: Document = get_restricted(
        Document.objects.select_related("location__organization"),
        actor,
        A.DOCUMENT_SEND,
        pk=document_id,
    )
    number = normalize_number(to_number)
    note = (cover_note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(
            f"Keep the cover note under {MAX_NOTE} characters.", field="cover_note"
        )
    version = document.versions.select_related("blob").order_by("-number").first()
    if version is None:
        raise ValidationFailed("The document has no file to send.", field="document")
    body = as_pdf(blob_read(version.blob), version.blob.kind)
    body_pages = len(PdfReader(io.BytesIO(body)).pages)
    location = document.location
    from_number = location.fax or settings.FRONTDESK_FAX_FROM
    now = timezone.localtime(timezone.now(), location.tzinfo)
    cover = fax_cover_sheet(
        practice=location.organization.name,
        location=location,
        to_number=number,
        from_number=from_number,
        sender=actor.display_name,
        pages=body_pages + 1,
        note=note,
        sent_at=now,
    )
    fax_pdf, pages = _join(cover, body)
    with transaction.atomic():
        row = Correspondence.objects.create(
            location=location,
            direction=Direction.OUT,
            channel=Channel.FAX,
            status=CorrespondenceStatus.QUEUED,
            counterpart=number,
            subject=note.splitlines()[0][:200] if note else "",
            pages=pages,
            patient_id=document.patient_id,
            document=document,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.EXPORT,
            category=AuditCategory.DOCUMENTS,
            patient_id=document.patient_id,
            object_type="correspondence",
            object_id=row.pk,
            detail={
                "channel": Channel.FAX,
                "document_id": document.pk,
                "version": version.number,
                "pages": pages,
            },
        )
    try:
        job_id = fax_transport().send(number, fax_pdf, reference=f"correspondence-{row.pk}")
    except FaxError as exc:
        return _fax_failed(row, code=str(exc), actor=actor)
    Correspondence.objects.filter(pk=row.pk).update(external_id=job_id[:200])
    row.refresh_from_db()
    return row


def _fax_failed(row: Correspondence, *, code: str, actor: Any) -> Correspondence:
    with transaction.atomic():
        Correspondence.objects.filter(pk=row.pk).update(
            status=CorrespondenceStatus.FAILED, error=code or "failed"
        )
        audit_record(
            actor=actor,
            actor_name=None if actor is not None else "fax provider",
            action=AuditAction.UPDATE,
            category=AuditCategory.DOCUMENTS,
            patient_id=row.patient_id,
            object_type="correspondence",
            object_id=row.pk,
            outcome=AuditOutcome.FAILURE,
            detail={"status": CorrespondenceStatus.FAILED, "error": code[:80]},
        )
    row.refresh_from_db()
    return row


def fax_status_update(*, provider_id: str, status: str, error: str = "") -> Correspondence:
    """Apply the provider's delivery report to the outgoing fax it names; returns the row.

    ``sent`` (or delivered) records the disclosure; ``failed`` keeps the provider's error. A row
    already sent or failed stays as it is (a repeated or late report changes nothing). NotFound for
    an unknown job id; ValidationFailed for a status word we do not know.
    """
    word = (status or "").strip().lower()
    if word not in SENT_WORDS | FAILED_WORDS:
        raise ValidationFailed(f"Unknown fax status {status!r}.", field="status")
    row = correspondence_find(
        channel=Channel.FAX, direction=Direction.OUT, external_id=(provider_id or "").strip()
    )
    if row is None:
        raise NotFound()
    if row.status != CorrespondenceStatus.QUEUED:
        return row
    if word in FAILED_WORDS:
        return _fax_failed(row, code=(error or word).strip()[:200], actor=None)
    with transaction.atomic():
        updated = Correspondence.objects.filter(
            pk=row.pk, status=CorrespondenceStatus.QUEUED
        ).update(status=CorrespondenceStatus.SENT, error="")
        if not updated:  # another report got there first
            row.refresh_from_db()
            return row
        audit_record(
            actor=None,
            actor_name="fax provider",
            action=AuditAction.UPDATE,
            category=AuditCategory.DOCUMENTS,
            patient_id=row.patient_id,
            object_type="correspondence",
            object_id=row.pk,
            detail={"status": CorrespondenceStatus.SENT},
        )
        if row.patient_id is not None:
            document = row.document
            label = DocType(document.doc_type).label if document is not None else "Document"
            disclosures_record(
                actor=row.created_by,
                entries=[
                    DisclosureEntry(
                        patient_id=row.patient_id,
                        recipient=f"Fax {row.counterpart}",
                        recipient_identifier=row.counterpart,
                        purpose=Purpose.TREATMENT,
                        description=f"{label} ({row.pages} pages with the cover sheet) by fax",
                        reference=f"correspondence:{row.pk}",
                    )
                ],
            )
    row.refresh_from_db()
    return row
