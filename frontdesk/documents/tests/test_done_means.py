"""Issue 7's "done means", end to end: files dropped into the watched folder, uploaded at the desk,
e-mailed to the documents mailbox (a real IMAP server on loopback) and faxed in (the signed
webhook) are queued, read by the background worker (django-tasks' database worker, as in
production), and end up in the right chart by themselves when they can and in the review queue with
suggestions when they cannot; nothing is filed to the wrong patient and every arrival is accounted
for."""

from __future__ import annotations

import datetime as dt
import os
import time
from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.documents.choices import (
    Channel,
    DocType,
    FiledBy,
    ItemStatus,
    SegmentStatus,
    Source,
)
from frontdesk.documents.fax import fax_signed_headers
from frontdesk.documents.intake.folder import folder_poll
from frontdesk.documents.intake.mail import mail_poll
from frontdesk.documents.models import Correspondence, Document, InboxItem, InboxSegment
from frontdesk.documents.tests.imapserver import ImapServer
from frontdesk.documents.tests.test_pipeline import lab_lines, letter_pdf, patient, scanned_png
from tests.browser.test_document_inbox import fax_tiff
from tests.factories import CoverageFactory, LocationFactory, UserFactory, assign

# A real commit per arrival (the tasks are queued after it) and the worker's own connection handling
# (it closes connections when it exits), as in production.
pytestmark = pytest.mark.django_db(transaction=True)

OUR_FAX = "+15555550100"


def _multipart(fields: dict[str, str], name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "done-means-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: image/tiff\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_every_way_in_ends_in_the_right_chart_or_the_review_queue(
    settings, tmp_path, django_capture_on_commit_callbacks
) -> None:
    location = LocationFactory(code="MAIN")
    clerk = assign(UserFactory(role=Role.FRONT_DESK), location)
    scanned = patient("Adalind", "Pemberton", dt.date(1955, 6, 7))
    mailed = patient("Borislav", "Quenneville", dt.date(1966, 9, 10))
    faxed = patient("Corwin", "Ashdown", dt.date(1948, 12, 1))
    carded = patient("Pell", "Harrowgate", dt.date(1977, 8, 9))
    CoverageFactory(patient=carded, member_id="ZQK448812", member_id_key="zqk448812")
    namesakes = [
        patient("Orvel", "Brindlecombe", dt.date(1950, 1, 2)),
        patient("Orvel", "Brindlecombe", dt.date(1972, 5, 6)),
    ]

    # The ways in, configured as a practice would.
    watched = tmp_path / "scans"
    watched.mkdir()
    settings.FRONTDESK_DOCUMENT_WATCH_DIRS = {"MAIN": str(watched)}
    settings.FRONTDESK_DOCUMENT_WATCH_SETTLE_SECONDS = 60
    settings.FRONTDESK_DOCUMENT_WATCH_PAUSE_SECONDS = 0
    settings.FRONTDESK_DOCUMENT_IMAP_LOCATION = "MAIN"
    settings.FRONTDESK_FAX_WEBHOOK_SECRET = "done-means-secret"
    settings.FRONTDESK_FAX_NUMBERS = {OUR_FAX: "MAIN"}

    with django_capture_on_commit_callbacks(execute=True):
        # 1. A scanner drops a scan (upside down) and a name-only letter into the watched folder.
        (watched / "scan-0001.png").write_bytes(
            scanned_png(lab_lines("Adalind", "Pemberton", "06/07/1955"), upside_down=True)
        )
        (watched / "scan-0002.pdf").write_bytes(
            letter_pdf([["Dear colleague,", "Re: Orvel Brindlecombe", "Seen today for follow-up."]])
        )
        for path in watched.iterdir():
            stamp = time.time() - 600
            os.utime(path, (stamp, stamp))
        polled = folder_poll()
        assert len(polled.received) == 2

        # 2. A laboratory e-mails results to the documents mailbox.
        message = EmailMessage()
        message["From"] = "Results <results@lab.example.com>"
        message["To"] = "documents@clinic.example.com"
        message["Subject"] = "Results"
        message["Message-ID"] = "<done-means-1@lab.example.com>"
        message.set_content("Attached.")
        message.add_attachment(
            letter_pdf([lab_lines("Borislav", "Quenneville", "09/10/1966")]),
            maintype="application",
            subtype="pdf",
            filename="results.pdf",
        )
        with ImapServer(user="docs", password="pw") as server:
            server.add(message.as_bytes())
            settings.FRONTDESK_DOCUMENT_IMAP_URL = server.url
            assert len(mail_poll().received) == 1

        # 3. The fax provider posts a received fax (signed).
        body, content_type = _multipart(
            {"from": "+15555550123", "to": OUR_FAX, "pages": "1", "id": "fax-job-77"},
            "fax.tif",
            fax_tiff(lab_lines("Corwin", "Ashdown", "12/01/1948")),
        )
        headers = {
            f"HTTP_{name.upper().replace('-', '_')}": value
            for name, value in fax_signed_headers(body).items()
        }
        answer = Client().post(
            reverse("documents:fax_inbound"), data=body, content_type=content_type, **headers
        )
        assert answer.status_code in (200, 201)

        # 4. The desk uploads an insurance card and, by mistake, a web page.
        desk = Client()
        desk.force_login(clerk)
        card = letter_pdf(
            [
                [
                    "Example Health Plan",
                    "Member Name: PELL HARROWGATE",
                    "Member ID: ZQK448812",
                    "Group: 00451   RxBIN 610014",
                    "Copay: PCP $25  Specialist $50",
                ]
            ]
        )
        desk.post(
            reverse("documents:upload"),
            {
                "location": location.pk,
                "files": [
                    SimpleUploadedFile("card.pdf", card),
                    SimpleUploadedFile("page.html", b"<html><body>not a document</body></html>"),
                ],
            },
        )

    # The background worker reads everything that was queued.
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    sources = dict(InboxItem.objects.values_list("display_name", "source"))
    assert sources == {
        "scan-0001.png": Source.FOLDER,
        "scan-0002.pdf": Source.FOLDER,
        "results.pdf": Source.EMAIL,
        "fax.tif": Source.FAX,
        "card.pdf": Source.UPLOAD,
        "page.html": Source.UPLOAD,
    }
    filed = {
        (d.patient_id, d.doc_type, d.filed_by, d.source_item.display_name)
        for d in Document.objects.select_related("source_item")
    }
    assert filed == {
        (scanned.pk, DocType.LAB_RESULT, FiledBy.MATCH, "scan-0001.png"),
        (mailed.pk, DocType.LAB_RESULT, FiledBy.MATCH, "results.pdf"),
        (faxed.pk, DocType.LAB_RESULT, FiledBy.MATCH, "fax.tif"),
        (carded.pk, DocType.INSURANCE_CARD, FiledBy.MATCH, "card.pdf"),
    }
    waiting = InboxSegment.objects.get(status=SegmentStatus.REVIEW)
    assert waiting.item.display_name == "scan-0002.pdf"
    assert sorted(s["patient_id"] for s in waiting.suggestions) == sorted(p.pk for p in namesakes)
    # Every arrival is accounted for: filed, waiting for review or quarantined; none is stuck.
    assert dict(InboxItem.objects.values_list("display_name", "status")) == {
        "scan-0001.png": ItemStatus.FILED,
        "scan-0002.pdf": ItemStatus.REVIEW,
        "results.pdf": ItemStatus.FILED,
        "fax.tif": ItemStatus.FILED,
        "card.pdf": ItemStatus.FILED,
        "page.html": ItemStatus.QUARANTINED,
    }
    # The e-mail and the fax are in the correspondence log with where they came from.
    logged = set(Correspondence.objects.values_list("channel", "counterpart"))
    assert (Channel.FAX, "+15555550123") in logged
    assert any(
        channel == Channel.EMAIL and "results@lab.example.com" in counterpart
        for channel, counterpart in logged
    )
