"""Secure e-mail in a real browser: the desk sends a chart document from its page, the notice
arrives over SMTP (a real server on loopback) with a link and no PHI, and the recipient, in a browser
that is logged in nowhere, opens the link, is refused a wrong code and downloads the PDF with the
code the desk read out (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import email
import re
from email import policy
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.disclosures.models import Disclosure
from frontdesk.documents.models import SecureLink
from frontdesk.documents.tests.test_secure_mail import _chart_document
from frontdesk.notifications.tests.test_deliver import smtp as _smtp_server
from tests.factories import TEST_PASSWORD, LocationFactory, PatientFactory, UserFactory, assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

smtp = _smtp_server


def test_send_a_document_by_secure_email_and_pick_it_up_with_the_code(
    page: Any, browser: Any, live_server: Any, smtp: Any, settings: Any
) -> None:
    settings.PUBLIC_URL = live_server.url
    cache.clear()
    location: Any = LocationFactory(name="Zz Secure Clinic")
    desk: Any = UserFactory(username="desk.secure", first_name="Dee", role=Role.FRONT_DESK)
    assign(desk, location)
    document = _chart_document(
        location, patient=PatientFactory(first_name="Zelda", last_name="Quixotic")
    )

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.secure")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Dee").wait_for()
    page.goto(reverse("documents:document", kwargs={"document_id": document.pk}))
    page.wait_for_load_state("networkidle")  # the page pictures, before leaving the page
    page.get_by_role("link", name="by secure e-mail").click()
    page.get_by_label("Recipient's e-mail address").fill("records@example.com")
    page.get_by_role("button", name="Send secure e-mail").click()
    page.get_by_role("status").filter(has_text="records@example.com").wait_for()
    code = page.locator("#access-code").inner_text().strip()
    assert re.fullmatch(r"[0-9]{6}", code)

    (envelope,) = smtp.envelopes
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    body = message.get_content()
    assert "Quixotic" not in body and "Zelda" not in body and "Consult" not in body
    assert code not in body
    (link,) = re.findall(rf"{re.escape(live_server.url)}/documents/secure/[A-Za-z0-9_\-]+/", body)

    recipient = browser.new_context(accept_downloads=True)
    try:
        outside = recipient.new_page()
        outside.goto(link)
        outside.get_by_role("heading", name="Secure document").wait_for()
        assert "Quixotic" not in outside.content()
        wrong = "000000" if code != "000000" else "111111"
        outside.get_by_label("Access code").fill(wrong)
        outside.get_by_role("button", name="Download").click()
        outside.get_by_role("alert").wait_for()
        outside.get_by_label("Access code").fill(code)
        with outside.expect_download() as caught:
            outside.get_by_role("button", name="Download").click()
        download = caught.value
        with open(download.path(), "rb") as handle:
            assert handle.read(5) == b"%PDF-"
    finally:
        recipient.close()

    link_row = SecureLink.objects.get()
    assert (link_row.download_count, link_row.failed_attempts) == (1, 1)
    (disclosure,) = Disclosure.objects.filter(patient=document.patient)
    assert disclosure.recipient == "E-mail records@example.com"
