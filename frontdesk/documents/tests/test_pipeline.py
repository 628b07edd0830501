"""The pipeline end to end on real files: text layers, OCR (real Tesseract), codes, matching, filing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import segno
from django.core.management import call_command
from fpdf import FPDF
from PIL import Image

from frontdesk.audit.models import AuditEvent
from frontdesk.documents import blobs
from frontdesk.documents.choices import DocType, FiledBy, ItemStatus, SegmentStatus, Source, Stage
from frontdesk.documents.codes import encode_document_code
from frontdesk.documents.models import Document, InboxItem, InboxPage, InboxSegment
from frontdesk.documents.pipeline import document_process, documents_stalled
from frontdesk.documents.selectors import inbox_item_outcome
from frontdesk.documents.services import document_receive
from frontdesk.patients.normalize import name_search_columns
from frontdesk.printing.formcode import encode_form_code
from tests.factories import (
    AppointmentFactory,
    CoverageFactory,
    LocationFactory,
    PatientFactory,
)

pytestmark = pytest.mark.django_db


def patient(first: str, last: str, dob: dt.date, **extra: object):  # type: ignore[no-untyped-def]
    return PatientFactory(
        first_name=first,
        last_name=last,
        date_of_birth=dob,
        **name_search_columns(first, last),
        **extra,
    )


def letter_pdf(lines_per_page: list[list[str]]) -> bytes:
    """A born-digital PDF (with a text layer), one list of lines per page."""
    document = FPDF()
    document.set_font("helvetica", size=12)
    for lines in lines_per_page:
        document.add_page()
        for line in lines:
            document.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def coded_pdf(code: str, lines: list[str]) -> bytes:
    """A FrontDesk cover sheet: the code as a QR and as text, then some lines."""
    document = FPDF()
    document.set_font("helvetica", size=12)
    document.add_page()
    qr = io.BytesIO()
    segno.make(code, error="m").save(qr, kind="png", scale=8, border=4)
    qr.seek(0)
    document.image(qr, x=150, y=15, w=40)
    for line in lines:
        document.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    document.cell(text=code, new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())


def scanned_png(lines: list[str], *, upside_down: bool = False) -> bytes:
    """The lines printed and scanned at 200 dpi as a greyscale PNG (no text layer: needs OCR)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(letter_pdf([lines]))
    image = pdf[0].render(scale=200 / 72).to_pil().convert("L")
    pdf.close()
    if upside_down:
        image = image.rotate(180)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def receive(location, data: bytes, name: str = "fax.pdf") -> InboxItem:  # type: ignore[no-untyped-def]
    return document_receive(actor=None, location=location, source=Source.FAX, name=name, data=data)


LAB_LINES = [
    "Sunnyvale Reference Laboratory",
    "LABORATORY REPORT",
    "Patient: {last}, {first}    DOB: {dob}",
    "Collected: 11/20/2026",
    "Test             Result   Units    Reference Range",
    "Glucose          92       mg/dL    70-99",
    "Hemoglobin A1c   5.4      %        4.0-5.6",
]


def lab_lines(first: str, last: str, dob: str) -> list[str]:
    return [line.format(first=first, last=last, dob=dob) for line in LAB_LINES]


def test_a_lab_result_with_name_and_birth_date_files_itself() -> None:
    location = LocationFactory()
    jane = patient("Janeth", "Quillfeather", dt.date(1961, 3, 4))
    patient("Janeth", "Quillfeather", dt.date(1990, 7, 1))  # same name, another birth date
    item = receive(location, letter_pdf([lab_lines("Janeth", "Quillfeather", "03/04/1961")]))

    item = document_process(item_id=item.pk)

    assert item.status == ItemStatus.FILED and item.stage == Stage.DONE
    document = Document.objects.get()
    assert (document.patient_id, document.doc_type, document.filed_by) == (
        jane.pk,
        DocType.LAB_RESULT,
        FiledBy.MATCH,
    )
    assert document.filed_by_user is None
    assert document.document_date == dt.date(2026, 11, 20)
    version = document.versions.get()
    assert version.number == 1 and version.pages == 1
    assert "Hemoglobin A1c" in version.text
    assert blobs.blob_read(version.blob).startswith(b"%PDF")
    segment = InboxSegment.objects.get()
    assert segment.status == SegmentStatus.FILED and segment.document == document
    assert segment.suggestions[0]["patient_id"] == jane.pk
    assert "date of birth matches" in segment.suggestions[0]["reasons"]
    assert (
        AuditEvent.objects.filter(
            object_type="document", object_id=str(document.pk), patient_id=jane.pk
        ).count()
        == 1
    )


def test_a_name_without_a_second_identifier_waits_for_review_with_suggestions() -> None:
    location = LocationFactory()
    first = patient("Orvel", "Brindlecombe", dt.date(1950, 1, 2))
    second = patient("Orvel", "Brindlecombe", dt.date(1972, 5, 6))
    item = receive(
        location,
        letter_pdf(
            [
                [
                    "Dear colleague,",
                    "Re: Orvel Brindlecombe",
                    "Thank you for referring this patient for consultation. We reviewed the history",
                    "and recommend follow-up in three months. Sincerely, Dr. Example Consultant",
                ]
            ]
        ),
    )

    item = document_process(item_id=item.pk)

    assert item.status == ItemStatus.REVIEW
    assert Document.objects.count() == 0
    segment = InboxSegment.objects.get()
    assert segment.status == SegmentStatus.REVIEW
    assert sorted(s["patient_id"] for s in segment.suggestions) == sorted([first.pk, second.pk])
    assert segment.match_reasons == [
        "the name matches but no date of birth, MRN or member ID confirms it"
    ]


def test_somebody_who_is_not_a_patient_is_never_filed() -> None:
    location = LocationFactory()
    patient("Quorra", "Vandermeer", dt.date(1985, 2, 3))
    item = receive(location, letter_pdf([lab_lines("Quentin", "Vandermeer", "02/03/1985")]))

    item = document_process(item_id=item.pk)

    assert item.status == ItemStatus.REVIEW
    assert Document.objects.count() == 0
    segment = InboxSegment.objects.get()
    assert segment.match_reasons == ["no patient's full name matches the document"]


def test_an_insurance_card_files_by_name_and_member_id() -> None:
    location = LocationFactory()
    holder = patient("Pell", "Harrowgate", dt.date(1977, 8, 9))
    CoverageFactory(patient=holder, member_id="ZQK448812", member_id_key="zqk448812")
    item = receive(
        location,
        letter_pdf(
            [
                [
                    "Example Health Plan",
                    "Member Name: PELL HARROWGATE",
                    "Member ID: ZQK448812",
                    "Group: 00451   RxBIN 610014",
                    "Copay: PCP $25  Specialist $50",
                ]
            ]
        ),
    )

    document_process(item_id=item.pk)

    document = Document.objects.get()
    assert (document.patient_id, document.doc_type) == (holder.pk, DocType.INSURANCE_CARD)


def test_a_frontdesk_cover_sheet_files_what_is_behind_it_by_its_code() -> None:
    location = LocationFactory()
    owner = patient("Tamsin", "Oakenfold", dt.date(1969, 11, 12))
    code = encode_document_code(owner.pk, DocType.CONSENT_FORM)
    pdf = coded_pdf(code, ["FrontDesk document cover sheet", "Scan this page first."])
    item = receive(location, pdf)

    document_process(item_id=item.pk)

    document = Document.objects.get()
    assert (document.patient_id, document.doc_type, document.filed_by) == (
        owner.pk,
        DocType.CONSENT_FORM,
        FiledBy.CODE,
    )
    assert InboxPage.objects.get().codes == [code]


def test_a_scanned_encounter_form_files_to_its_appointment() -> None:
    location = LocationFactory()
    visit = AppointmentFactory(location=location)
    pdf = coded_pdf(encode_form_code(visit.pk), ["ENCOUNTER FORM", "99213 Office visit"])
    item = receive(location, pdf)

    document_process(item_id=item.pk)

    document = Document.objects.get()
    assert (document.patient_id, document.appointment_id, document.doc_type) == (
        visit.patient_id,
        visit.pk,
        DocType.ENCOUNTER_FORM,
    )


def test_a_forged_code_files_nothing() -> None:
    location = LocationFactory()
    owner = patient("Tamsin", "Oakenfold", dt.date(1969, 11, 12))
    genuine = encode_document_code(owner.pk, DocType.CONSENT_FORM)
    # One character of the signature changed (to another character: a genuine code ending in "0"
    # made this no forgery, now and then, as the signature depends on the key and the patient id).
    forged = genuine[:-1] + ("1" if genuine.endswith("0") else "0")
    assert forged != genuine
    item = receive(location, coded_pdf(forged, ["FrontDesk document cover sheet"]))

    item = document_process(item_id=item.pk)

    assert item.status == ItemStatus.REVIEW
    assert Document.objects.count() == 0


def test_a_packet_of_two_patients_results_is_split_and_each_filed() -> None:
    location = LocationFactory()
    ada = patient("Adalind", "Pemberton", dt.date(1955, 6, 7))
    bo = patient("Borislav", "Quenneville", dt.date(1966, 9, 10))
    item = receive(
        location,
        letter_pdf(
            [
                lab_lines("Adalind", "Pemberton", "06/07/1955"),
                ["Page 2 of results", "Comment: specimen slightly hemolyzed"],
                lab_lines("Borislav", "Quenneville", "09/10/1966"),
            ]
        ),
    )

    item = document_process(item_id=item.pk)

    assert item.status == ItemStatus.FILED
    segments = list(InboxSegment.objects.order_by("position"))
    assert [(s.page_indexes, s.patient_id, s.status) for s in segments] == [
        ([0, 1], ada.pk, SegmentStatus.FILED),
        ([2], bo.pk, SegmentStatus.FILED),
    ]
    assert [d.versions.get().pages for d in Document.objects.order_by("pk")] == [2, 1]


def test_a_continuation_page_whose_birth_date_was_misread_stays_with_its_document() -> None:
    # Page 2 gives another birth date (an OCR slip): cut apart by the date, both halves suggest
    # the same patient, so they are one document again, which waits (the dates disagree) instead
    # of filing page 1 alone and leaving page 2 behind.
    location = LocationFactory()
    ada = patient("Adalind", "Pemberton", dt.date(1955, 6, 7))
    item = receive(
        location,
        letter_pdf(
            [
                lab_lines("Adalind", "Pemberton", "06/07/1955"),
                lab_lines("Adalind", "Pemberton", "06/01/1955"),
            ]
        ),
    )

    item = document_process(item_id=item.pk)

    segments = list(InboxSegment.objects.order_by("position"))
    assert [(s.page_indexes, s.status) for s in segments] == [([0, 1], SegmentStatus.REVIEW)]
    assert segments[0].suggestions[0]["patient_id"] == ada.pk
    assert item.status == ItemStatus.REVIEW


def test_an_upside_down_scan_is_read_by_ocr_turned_upright_and_filed() -> None:
    location = LocationFactory()
    owner = patient("Corwin", "Ashdown", dt.date(1948, 12, 1))
    item = receive(
        location,
        scanned_png(lab_lines("Corwin", "Ashdown", "12/01/1948"), upside_down=True),
        name="scan.png",
    )

    item = document_process(item_id=item.pk)

    page = InboxPage.objects.get()
    assert (page.text_source, page.rotation) == ("ocr", 180)
    assert "Ashdown" in page.text
    document = Document.objects.get()
    assert document.patient_id == owner.pk


def test_processing_twice_has_one_effect_and_a_duplicate_is_not_filed_again() -> None:
    location = LocationFactory()
    patient("Janeth", "Quillfeather", dt.date(1961, 3, 4))
    data = letter_pdf([lab_lines("Janeth", "Quillfeather", "03/04/1961")])
    item = receive(location, data)
    document_process(item_id=item.pk)
    document_process(item_id=item.pk)
    again = receive(location, data, name="resent.pdf")

    again = document_process(item_id=again.pk)

    assert Document.objects.count() == 1
    assert InboxSegment.objects.count() == 1
    assert again.status == ItemStatus.DELETED
    assert again.deleted_reason.startswith(f"Duplicate of inbox item #{item.pk}")


def test_a_killed_run_resumes_from_the_pages_already_read() -> None:
    location = LocationFactory()
    owner = patient("Adalind", "Pemberton", dt.date(1955, 6, 7))
    item = receive(
        location,
        letter_pdf(
            [["Cover page from the sender"], lab_lines("Adalind", "Pemberton", "06/07/1955")]
        ),
    )
    # The first worker read page 1 and died: its reading is kept, not redone.
    InboxPage.objects.create(item=item, index=0, text="FAX COVER (read before the crash)")
    InboxItem.objects.filter(pk=item.pk).update(attempts=1)

    item = document_process(item_id=item.pk)

    assert item.attempts == 2
    assert list(InboxPage.objects.order_by("index").values_list("index", "text_source")) == [
        (0, "ocr"),
        (1, "layer"),
    ]
    assert InboxPage.objects.get(index=0).text == "FAX COVER (read before the crash)"
    assert Document.objects.get().patient_id == owner.pk


def test_a_stalled_item_is_found_and_a_damaged_blob_fails_with_the_reason() -> None:
    location = LocationFactory()
    item = receive(location, letter_pdf([["Some page"]]))
    later = dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=11)
    assert documents_stalled(later) == [item.pk]
    blob = item.blob
    blob.sha256 = "0" * 64
    blob.save(update_fields=["sha256"])

    item = document_process(item_id=item.pk)

    assert (item.status, item.stage) == (ItemStatus.REVIEW, Stage.FAILED)
    assert "SHA-256" in item.processing_error or "check" in item.processing_error
    assert documents_stalled(later) == []


def test_ingest_wait_processes_and_says_how_each_ended(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    location = LocationFactory(code="MAIN")
    owner = patient("Janeth", "Quillfeather", dt.date(1961, 3, 4))
    path = tmp_path / "lab.pdf"
    path.write_bytes(letter_pdf([lab_lines("Janeth", "Quillfeather", "03/04/1961")]))

    call_command("documents_ingest", str(path), "--location", "MAIN", "--source", "fax", "--wait")

    out = capsys.readouterr().out.splitlines()
    item = InboxItem.objects.get()
    assert out == [
        f"{path}: #{item.pk} received",
        f"#{item.pk} filed [pages 1-1: lab_result filed to patient #{owner.pk} by match]",
    ]
    assert inbox_item_outcome(item_id=item.pk).segments[0].auto_filed is True
    assert location.pk == item.location_id


def test_pages_that_are_images_make_a_pdf_when_filed() -> None:
    location = LocationFactory()
    owner = patient("Corwin", "Ashdown", dt.date(1948, 12, 1))
    item = receive(
        location, scanned_png(lab_lines("Corwin", "Ashdown", "12/01/1948")), name="scan.png"
    )
    document_process(item_id=item.pk)
    version = Document.objects.get(patient=owner).versions.get()
    data = blobs.blob_read(version.blob)
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    assert version.blob.kind == "pdf"
    assert Image.open(io.BytesIO(blobs.blob_read(item.blob))).size[0] > 1000


def test_a_printed_cover_sheet_scanned_with_pages_files_them_all(client) -> None:  # type: ignore[no-untyped-def]
    import pypdfium2

    from frontdesk.accounts.choices import Role
    from frontdesk.audit.models import AuditEvent
    from tests.factories import UserFactory, assign

    location = LocationFactory()
    clerk = assign(UserFactory(role=Role.FRONT_DESK), location)
    owner = patient("Tamsin", "Oakenfold", dt.date(1969, 11, 12))
    client.force_login(clerk)
    before = AuditEvent.objects.filter(patient_id=owner.pk, action="read").count()

    sheet = client.get(f"/documents/cover-sheet/{owner.pk}/", {"type": "intake_form"})

    assert sheet.status_code == 200 and sheet["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(patient_id=owner.pk, action="read").count() == before + 1
    # The sheet printed, then scanned in front of two handwritten intake pages (images, no text).
    pdf = pypdfium2.PdfDocument(sheet.content)
    scanned = [pdf[0].render(scale=200 / 72).to_pil().convert("L")]
    pdf.close()
    scanned += [Image.new("L", scanned[0].size, 255) for _ in range(2)]
    out = io.BytesIO()
    scanned[0].save(out, format="TIFF", save_all=True, append_images=scanned[1:], dpi=(200, 200))
    item = receive(location, out.getvalue(), name="scan.tif")

    document_process(item_id=item.pk)

    document = Document.objects.get()
    assert (document.patient_id, document.doc_type, document.filed_by) == (
        owner.pk,
        DocType.INTAKE_FORM,
        FiledBy.CODE,
    )
    assert document.versions.get().pages == 3
    assert client.get(f"/documents/cover-sheet/{owner.pk}/", {"type": "bogus"}).status_code == 404
