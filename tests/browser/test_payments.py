"""Take a split payment (cash + card) at the desk and print its receipt (Playwright, Chromium)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from frontdesk.accounts.choices import Role
from frontdesk.ledger.choices import ChargeCode
from frontdesk.ledger.services import charge_post
from frontdesk.payments.models import Payment
from tests.browser.test_schedule import Clinic, _log_in
from tests.factories import DrawerSessionFactory, UserFactory, assign

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_take_a_split_payment_and_print_the_receipt(page, live_server, settings, tmp_path):
    settings.FRONTDESK_TEST_PROCESSOR_DIR = str(tmp_path / "processor")
    clinic = Clinic()
    biller = assign(UserFactory(role=Role.BILLING), clinic.location)
    charge_post(
        actor=biller,
        patient=clinic.patient,
        location=clinic.location,
        code=ChargeCode.COPAY,
        amount="45.00",
    )
    _log_in(page, clinic)
    from frontdesk.accounts.models import User

    DrawerSessionFactory(
        location=clinic.location,
        user=User.objects.get(username="desk.schedule"),
        workstation="Desk 1",
    )
    page.goto(f"/payments/patients/{clinic.patient.pk}/take/")
    page.get_by_role("heading", name="Take payment · Quinn Zzbrowser").wait_for()
    assert page.get_by_label("Total to collect ($)").input_value() == "45.00"
    # Keyboard only: type into each field in turn.
    page.get_by_label("Cash amount ($)").fill("20.00")
    page.get_by_label("Cash handed over ($)").press_sequentially("30", delay=20)
    assert page.locator("#pay-change").text_content() == "$10.00"
    page.get_by_label("Card amount ($)", exact=True).fill("25.00")
    page.get_by_label("Card (from the reader)", exact=True).select_option("tok_visa_approve")
    page.get_by_role("button", name="Take payment").press("Enter")

    page.get_by_role("heading", name="Receipt no. 1 · Completed").wait_for()
    tenders = page.locator("#receipt-tenders")
    assert "Cash $20.00 (handed over $30.00, change $10.00)" in tenders.text_content()
    assert "Card Visa \u2022\u2022\u2022\u2022 4242: $25.00" in tenders.text_content()
    assert page.locator("#receipt-change").text_content() == "$10.00"
    assert "paid in full" in page.locator("#receipt-remains").text_content()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Print receipt (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == "receipt-1.pdf"
    content = Path(download.path()).read_bytes()
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Receipt no. 1" in text
    assert "COPY" not in text
    assert "You paid $45.00" in text
    assert Payment.objects.get().status == "completed"
