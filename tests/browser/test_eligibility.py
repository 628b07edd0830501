"""Eligibility in a real browser: from the check-in panel, check the patient's insurance with the
simulated payer (real 270/271) and see the benefits (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.eligibility.models import EligibilityCheck
from tests.factories import (
    TEST_PASSWORD,
    AppointmentFactory,
    AppointmentTypeFactory,
    CoverageFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    UserFactory,
    assign,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NY = zoneinfo.ZoneInfo("America/New_York")


def test_check_eligibility_from_check_in(page, live_server, settings):
    settings.FRONTDESK_CLEARINGHOUSE = "simulated"
    location = LocationFactory()
    provider = ProviderFactory(first_name="Ada", last_name="Zzelig")
    provider.locations.add(location)
    patient = PatientFactory(first_name="Quinn", last_name="Zzeligtest")
    CoverageFactory(patient=patient, member_id="ZZE0001225")
    now = dt.datetime.now(NY).replace(second=0, microsecond=0)
    AppointmentFactory(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=AppointmentTypeFactory(duration_minutes=1),
        starts_at=now,
    )
    user = UserFactory(username="desk.elig", first_name="Flora", role=Role.FRONT_DESK)
    assign(user, location)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.elig")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Flora").wait_for()

    page.goto(f"/front-desk/?location={location.pk}")
    page.locator("tr", has_text="Zzeligtest, Q.").get_by_role("button", name="Check in").click()
    panel = page.locator("#flow-panel")
    panel.get_by_role("heading", name="Check in Zzeligtest, Quinn").wait_for()
    panel.get_by_text("not checked with the payer yet").wait_for()
    panel.get_by_role("button", name="Check eligibility").focus()
    page.keyboard.press("Enter")
    panel.get_by_text("Office visit copay").wait_for()
    assert panel.get_by_text("Active", exact=True).is_visible()
    assert panel.get_by_text("remaining").first.is_visible()
    assert EligibilityCheck.objects.get().status == "complete"
