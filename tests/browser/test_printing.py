"""Print tomorrow's encounter forms for a location (Playwright driving Debian's Chromium, real clock).

A front-desk user opens Print from the navigation; the page offers tomorrow at their location; they
ask for the whole day's encounter forms, which a background worker builds while the progress page
polls (htmx); once ready they download as one PDF with a page per appointment, each carrying a QR
code that an outside decoder (zxing-cpp) reads back to its appointment.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import zxingcpp
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from frontdesk.audit.models import AuditEvent
from frontdesk.printing.formcode import decode_form_code
from frontdesk.printing.models import EncounterFormBatch
from tests.browser.test_schedule import NY, Clinic, _log_in
from tests.factories import AppointmentFactory, PatientFactory, ProviderFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _run_worker_between_polls(page, poll_path: str) -> None:
    """Run the task worker in this thread while the page keeps polling.

    The live server shares this thread's in-memory SQLite connection, so the worker must not run
    while the server answers a poll: polls are answered "no change" (204, which htmx ignores) by
    the browser itself until the worker is done; the first such answer proves no real poll is in
    flight. On PostgreSQL this is not needed, and harmless.
    """
    page.route(f"**{poll_path}", lambda route: route.fulfill(status=204, body=""))
    with page.expect_request(lambda request: request.url.endswith(poll_path)):
        pass
    try:
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    finally:
        page.unroute(f"**{poll_path}")


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
    page.get_by_role("button", name="Encounter forms for the whole day (PDF)").click()
    page.get_by_role(
        "heading",
        name=f"Encounter forms: {clinic.location.name}, {tomorrow:%A} {tomorrow.day} {tomorrow:%B %Y}",
    ).wait_for()
    page.get_by_role("status").filter(has_text="Waiting for the background worker").wait_for()
    batch = EncounterFormBatch.objects.get()
    assert (batch.status, batch.day) == ("queued", tomorrow)

    # The background worker builds the batch; the page notices by itself (htmx polling).
    _run_worker_between_polls(page, reverse("printing:batch", kwargs={"pk": batch.pk}))
    page.get_by_role("status").filter(has_text="Ready: 3 forms on 3 pages.").wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download encounter forms (PDF)").click()
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
    assert (printed.object_type, printed.object_id) == ("encounter_form_batch", str(batch.pk))
    assert printed.detail["appointment_ids"] == [other.pk, early.pk, late.pk]
