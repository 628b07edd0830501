"""Print tomorrow's encounter forms for a location (Playwright driving Debian's Chromium, real clock).

A front-desk user opens Print from the navigation; the page offers tomorrow at their location; the
whole day's encounter forms download as one PDF with a page per appointment, each carrying a QR code
that an outside decoder (zxing-cpp) reads back to its appointment.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import zxingcpp
from pypdf import PdfReader

from frontdesk.audit.models import AuditEvent
from frontdesk.printing.formcode import decode_form_code
from tests.browser.test_schedule import NY, Clinic, _log_in
from tests.factories import AppointmentFactory, PatientFactory, ProviderFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_print_tomorrows_encounter_forms(page, live_server):
    clinic = Clinic()
    tomorrow = (dt.datetime.now(NY) + dt.timedelta(days=1)).date()
    second = ProviderFactory(last_name="Aaearly")
    second.locations.add(clinic.location)

    def visit(provider, hour, minute=0):
        return AppointmentFactory(
            patient=PatientFactory(last_name="Zzprint"),
            provider=provider,
            location=clinic.location,
            appointment_type=clinic.kind,
            starts_at=dt.datetime.combine(tomorrow, dt.time(hour, minute), tzinfo=NY),
        )

    late, early, other = visit(clinic.provider, 10), visit(clinic.provider, 9), visit(second, 11)
    _log_in(page, clinic)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Print").click()
    page.get_by_role(
        "heading", name=f"{clinic.location.name}, {tomorrow:%A} {tomorrow.day} {tomorrow:%B %Y}"
    ).wait_for()
    page.get_by_role("status").filter(has_text="3 appointments.").wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Encounter forms for the whole day (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == (
        f"encounter-forms-{clinic.location.pk}-{tomorrow.isoformat()}.pdf"
    )
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 3
    # By provider (Aaearly before Zzdoctor), then time.
    scanned = [
        decode_form_code(barcode.text)
        for pdf_page in reader.pages
        for image in pdf_page.images
        for barcode in zxingcpp.read_barcodes(image.image)
    ]
    assert scanned == [other.pk, early.pk, late.pk]
    printed = AuditEvent.objects.get(action="print")
    assert printed.detail["appointment_ids"] == [other.pk, early.pk, late.pk]
