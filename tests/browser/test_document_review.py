"""Document review in a real browser, by keyboard only: index one part from the review queue (a
suggestion, the type, Enter) and see it in the patient's chart; split a two-patient packet and file
each half to its patient (Playwright driving Debian's Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.documents.models import Document, InboxItem, InboxSegment
from frontdesk.documents.tests.review_samples import review_item, segment, suggestion
from tests.browser.conftest import wait_for_server_idle
from tests.factories import TEST_PASSWORD, LocationFactory, PatientFactory, UserFactory, assign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("indexer.zz")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Ida").wait_for()


def pictures_loaded(page: Any) -> None:
    """The shown page's picture has arrived and the server is idle (on SQLite the live server and the
    test share one in-memory database: the next write must not meet a picture's audit row)."""
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.review-page.current img'))"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    wait_for_server_idle()


def _desk() -> Any:
    location = LocationFactory(name="Zz Review Clinic")
    assign(UserFactory(username="indexer.zz", first_name="Ida", role=Role.FRONT_DESK), location)
    return location


def test_index_one_from_the_review_queue_by_keyboard_only(page: Any, live_server: Any) -> None:
    location = _desk()
    likely = PatientFactory(first_name="Zzlikely", last_name="Indexpatient")
    unlikely = PatientFactory(first_name="Zzunlikely", last_name="Indexpatient")
    item = review_item(location, pages=2, text="Synthetic lab result for Zzlikely")
    part = segment(
        item,
        doc_type="other",
        suggestions=[
            suggestion(unlikely, 0.62, "name"),
            suggestion(likely, 0.58, "name", "date of birth"),
        ],
    )
    log_in(page)
    page.goto("/documents/review/")
    page.get_by_role("heading", name="Review queue").wait_for()

    page.keyboard.press("Enter")  # start indexing
    page.wait_for_url(f"**/documents/review/{part.pk}/")
    page.get_by_text("Page 1 of 2").wait_for()
    pictures_loaded(page)  # one picture request at a time (SQLite in memory: one writer)
    page.keyboard.press("j")
    page.get_by_text("Page 2 of 2").wait_for()
    page.keyboard.press("2")  # the second suggestion
    assert page.locator(f'input[name="patient"][value="{likely.pk}"]').is_checked()
    page.keyboard.press("t")
    page.keyboard.type("Lab")  # the select's own type-ahead: "Lab result"
    page.keyboard.press("Escape")
    page.keyboard.press("u")
    assert page.locator("#doc-urgent").is_checked()
    pictures_loaded(page)
    page.keyboard.press("Enter")

    page.get_by_role("heading", name="Review queue").wait_for()  # nothing else waits
    page.get_by_text("Filed as chart document").wait_for()
    wait_for_server_idle()
    document = Document.objects.get()
    assert (document.patient_id, document.doc_type, document.urgent, document.filed_by) == (
        likely.pk,
        "lab_result",
        True,
        "person",
    )
    assert InboxItem.objects.get(pk=item.pk).status == "filed"

    page.goto(f"/documents/patient/{likely.pk}/")
    row = page.locator("table.chart-documents tbody tr")
    assert row.count() == 1
    assert "Lab result" in row.inner_text()
    row.get_by_role("link").click()
    page.get_by_role("heading", name=document.title).wait_for()
    assert "Ida" in page.locator("table.document-viewers").inner_text()


def test_split_a_packet_and_file_each_half_to_its_patient(page: Any, live_server: Any) -> None:
    location = _desk()
    first = PatientFactory(first_name="Zzfirst", last_name="Packetpatient")
    second = PatientFactory(first_name="Zzsecond", last_name="Packetpatient")
    item = review_item(location, pages=2, text="Synthetic two-patient packet")
    part = segment(
        item,
        doc_type="consult_note",
        suggestions=[suggestion(first, 0.7, "name"), suggestion(second, 0.69, "name")],
    )
    log_in(page)
    page.goto(f"/documents/review/{part.pk}/")
    page.get_by_text("Page 1 of 2").wait_for()
    pictures_loaded(page)

    page.keyboard.press("s")  # split after page 1
    page.get_by_text("Split: the pages after page 1").wait_for()
    page.get_by_text("Page 1 of 1").wait_for()
    page.keyboard.press("1")
    pictures_loaded(page)
    page.keyboard.press("Enter")

    page.get_by_text("Filed as chart document").wait_for()
    pictures_loaded(page)  # and the server idle before the test reads the database
    later = InboxSegment.objects.exclude(pk=part.pk).get(item=item)
    assert page.url.endswith(f"/documents/review/{later.pk}/")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Review queue").wait_for()
    wait_for_server_idle()

    filed = list(
        Document.objects.order_by("pk").values_list("patient_id", "doc_type", "source_item_id")
    )
    assert filed == [(first.pk, "consult_note", item.pk), (second.pk, "consult_note", item.pk)]
    assert list(
        InboxSegment.objects.filter(item=item).order_by("position").values_list("page_indexes")
    ) == [([0],), ([1],)]
    assert InboxItem.objects.get(pk=item.pk).status == "filed"
