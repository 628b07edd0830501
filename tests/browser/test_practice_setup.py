"""Practice setup in a real browser: a manager adds a location with split opening hours and meets a
clear NPI message beside the field when adding a provider."""

from __future__ import annotations

import os
from datetime import time

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.practice.models import Location, Provider
from tests.factories import TEST_PASSWORD, OrganizationFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

SCREENSHOTS = os.environ.get("FRONTDESK_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_manager_sets_up_a_location_and_a_provider(page, live_server):
    OrganizationFactory(name="Example Family Medicine (synthetic)")
    UserFactory(username="manager.browser", first_name="Maria", role=Role.PRACTICE_MANAGER)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("manager.browser")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    main_nav = page.get_by_role("navigation", name="Main")
    main_nav.get_by_text("Admin").click()  # configuration sections live in the Admin menu
    main_nav.get_by_role("link", name="Practice setup").click()
    page.get_by_role("heading", name="Practice setup").wait_for()
    _shot(page, "practice-overview")
    page.get_by_role("link", name="Locations").first.click()
    page.get_by_role("link", name="New location").click()
    page.get_by_label("Name (required)").fill("Northside Clinic (synthetic)")
    page.get_by_label("Code (required)").fill("north")
    page.get_by_label("Timezone (required)").select_option("America/Chicago")
    page.get_by_label("Phone", exact=True).fill("(202) 555-0101")
    page.get_by_label("Monday hours").fill("08:00-12:00, 13:00-17:00")
    page.get_by_label("Tuesday hours").fill("17:00-08:00")
    page.get_by_role("button", name="Save").click()

    error = page.locator("#id_hours_1_error")
    error.wait_for()
    _shot(page, "location-error")
    assert error.inner_text() == "Closing time must be after opening time."
    assert Location.objects.count() == 0

    page.get_by_label("Tuesday hours").fill("09:00-13:00")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Opening hours").wait_for()
    _shot(page, "location-detail")
    location = Location.objects.get(code="north")
    assert list(location.opening_hours.values_list("weekday", "opens_at", "closes_at")) == [
        (0, time(8), time(12)),
        (0, time(13), time(17)),
        (1, time(9), time(13)),
    ]

    page.goto("/practice/providers/new/")
    page.get_by_label("First name (required)").fill("Ada")
    page.get_by_label("Last name (required)").fill("Examplar")
    page.get_by_label("NPI (required)").fill("1234567890")
    page.get_by_label("Northside Clinic (synthetic)").check()
    page.get_by_role("button", name="Save").click()
    npi_error = page.locator("#id_npi_error")
    npi_error.wait_for()
    _shot(page, "provider-error")
    assert npi_error.inner_text() == "This NPI's check digit is wrong; check for a typo."
    assert Provider.objects.count() == 0
    assert live_server.url in page.url
