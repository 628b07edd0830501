"""The main patient flows in a real browser: search as you type with the keyboard, registration with
the duplicate warning, and editing a coverage (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.patients import services
from frontdesk.patients.models import Coverage, DuplicateOverride, Patient
from tests.factories import TEST_PASSWORD, LocationFactory, PayerFactory, UserFactory, assign

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

SCREENSHOTS = os.environ.get("FRONTDESK_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def _log_in(page, role: str = Role.FRONT_DESK, username: str = "desk.patients"):
    user = UserFactory(username=username, first_name="Brenda", role=role)
    assign(user, LocationFactory())
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Brenda").wait_for()
    return user


def _register(actor, first: str, last: str, dob: dt.date = dt.date(1960, 1, 2)) -> Patient:
    return services.patient_register(
        actor=actor,
        data={
            "first_name": first,
            "last_name": last,
            "date_of_birth": dob,
            "sex_at_birth": "M",
            "phones": [{"number": "(202) 555-0142", "phone_type": "mobile", "sms_capable": True}],
        },
        duplicate_override_reason="setup",
    )


def test_search_as_you_type_and_open_with_the_keyboard(page, live_server):
    user = _log_in(page)
    wanted = _register(user, "Robert", "Zzquux")
    _register(user, "Roberta", "Zzquuxley", dt.date(1971, 3, 4))

    page.goto("/patients/")
    box = page.get_by_label("Name, date of birth, phone, MRN or member ID")
    assert box.evaluate("el => el === document.activeElement")  # autofocus
    box.press_sequentially("zzquux rob", delay=20)
    page.locator("[data-results] tbody tr").first.wait_for()
    _shot(page, "search")
    assert page.url == f"{live_server.url}/patients/"  # the query never reaches the URL

    box.press("ArrowDown")
    first_row = page.locator("[data-results] tbody tr").first
    assert first_row.evaluate("el => el === document.activeElement")
    assert first_row.get_attribute("aria-selected") == "true"
    assert "Zzquux, Robert" in first_row.inner_text()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Demographics").wait_for()
    assert page.url == f"{live_server.url}/patients/{wanted.pk}/"


def test_register_shows_duplicate_warning_then_registers_with_a_reason(page):
    user = _log_in(page)
    existing = _register(user, "Robert", "Zzquux")

    page.goto("/patients/register/")
    page.get_by_label("First name").fill("Bob")
    page.get_by_label("Last name (required)", exact=True).fill("Zzquux")
    page.get_by_label("Date of birth").fill("1960-01-02")
    page.get_by_label("Sex assigned at birth").select_option("M")
    page.get_by_role("button", name="Register", exact=True).click()

    warning = page.get_by_role("alert").filter(has_text="This patient may already be registered")
    warning.wait_for()
    _shot(page, "duplicate-warning")
    assert existing.mrn in warning.inner_text()
    assert Patient.objects.count() == 1

    page.get_by_label("Reason to register anyway").fill("Father and son; both IDs seen")
    page.get_by_role("button", name="Register anyway").click()
    page.get_by_role("heading", name="Demographics").wait_for()
    _shot(page, "patient-page")
    created = Patient.objects.exclude(pk=existing.pk).get()
    assert DuplicateOverride.objects.get(patient=created).reason == "Father and son; both IDs seen"


def test_edit_a_coverage(page):
    user = _log_in(page)
    patient = _register(user, "Robert", "Zzquux")
    payer = PayerFactory(name="Example Mutual")
    coverage = services.coverage_create(
        actor=user, patient=patient, data={"payer": payer, "member_id": "OLD-1"}
    )

    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Edit Primary coverage").click()
    page.get_by_label("Member ID").fill("NEW-2")
    page.get_by_label("Terminates on").fill("2025-01-01")
    page.get_by_label("Effective from").fill("2026-01-01")
    page.get_by_role("button", name="Save coverage").click()
    error = page.locator("#id_terminates_on_error")
    error.wait_for()
    _shot(page, "coverage-error")
    assert error.inner_text() == "The termination date cannot be before the effective date."
    coverage.refresh_from_db()
    assert coverage.member_id == "OLD-1"

    page.get_by_label("Terminates on").fill("")
    page.get_by_role("button", name="Save coverage").click()
    page.get_by_role("heading", name="Demographics").wait_for()
    assert Coverage.objects.get(pk=coverage.pk).member_id == "NEW-2"
    assert "NEW-2" in page.get_by_role("region", name="Insurance coverages").inner_text()
