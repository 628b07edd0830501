"""The document inbox in a real browser: a fax uploaded at the desk is read by the pipeline (OCR on
the fax image, the patient matched by name and date of birth) and files itself into the chart
(Playwright driving Debian's Chromium)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pypdfium2
import pytest
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from frontdesk.accounts.choices import Role
from frontdesk.documents.choices import DocType, FiledBy
from frontdesk.documents.models import Document, InboxItem
from frontdesk.documents.tests.test_pipeline import lab_lines, letter_pdf, patient
from tests.factories import TEST_PASSWORD, LocationFactory, UserFactory, assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fax_tiff(lines: list[str]) -> bytes:
    """The lines as a received fax: 1-bit, 204 x 98 dpi, Group 4 compressed TIFF."""
    pdf = pypdfium2.PdfDocument(letter_pdf([lines]))
    image = pdf[0].render(scale=204 / 72).to_pil().convert("L")
    pdf.close()
    fax = image.resize((image.width, round(image.height * 98 / 204))).point(
        lambda value: 255 if value > 160 else 0
    )
    out = io.BytesIO()
    fax.convert("1").save(out, format="TIFF", compression="group4", dpi=(204, 98))
    return out.getvalue()


def _run_worker_between_polls(page: Any, poll_path: str) -> None:
    """Run the task worker in this thread while the page keeps polling (see test_printing)."""
    page.route(f"**{poll_path}*", lambda route: route.fulfill(status=204, body=""))
    with page.expect_request(lambda request: poll_path in request.url):
        pass
    try:
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    finally:
        page.unroute(f"**{poll_path}*")


def test_upload_a_fax_and_see_it_filed_by_itself(
    page: Any, live_server: Any, tmp_path: Any
) -> None:
    location = LocationFactory(name="Zz Inbox Clinic")
    assign(UserFactory(username="desk.zz", first_name="Dee", role=Role.FRONT_DESK), location)
    owner = patient("Janeth", "Quillfeather", dt.date(1961, 3, 4))
    fax = tmp_path / "incoming-fax.tif"
    fax.write_bytes(fax_tiff(lab_lines("Janeth", "Quillfeather", "03/04/1961")))
    assert Image.open(fax).info["dpi"][1] == pytest.approx(98, abs=1)

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.zz")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Dee").wait_for()
    page.goto(reverse("documents:inbox"))
    page.get_by_label("Files (PDF").set_input_files(str(fax))
    page.get_by_role("button", name="Upload to Zz Inbox Clinic").click()
    page.get_by_role("list", name="Upload results").get_by_text("received").wait_for()

    item = InboxItem.objects.get()
    page.get_by_role("link", name=f"#{item.pk}", exact=True).first.click()
    page.get_by_role("status").filter(has_text="Being read").wait_for()
    _run_worker_between_polls(page, reverse("documents:item", kwargs={"item_id": item.pk}))

    page.get_by_role("status").filter(has_text="Filed").wait_for()
    row = page.get_by_role("row").filter(has_text="Lab result")
    row.get_by_text("Filed automatically").wait_for()
    row.get_by_text(f"Quillfeather, Janeth ({owner.mrn})").wait_for()
    document = Document.objects.get()
    assert (document.patient_id, document.doc_type, document.filed_by) == (
        owner.pk,
        DocType.LAB_RESULT,
        FiledBy.MATCH,
    )
