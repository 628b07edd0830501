"""The patient's cost estimate in a real browser: the check-in panel loads it (htmx) beside the
eligibility panel, and a check run from the eligibility panel reloads it with the payer's answer."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.coding.models import FeeSchedule, FeeScheduleEntry
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


def test_the_check_in_panel_shows_the_estimate_and_a_check_updates_it(page, live_server, settings):
    settings.FRONTDESK_CLEARINGHOUSE = "simulated"
    standard = FeeSchedule.objects.create(name="Standard", effective_from=dt.date(2020, 1, 1))
    FeeScheduleEntry.objects.create(schedule=standard, code="99213", amount=Decimal("150.00"))
    location = LocationFactory()
    provider = ProviderFactory(first_name="Ada", last_name="Zzestim")
    provider.locations.add(location)
    patient = PatientFactory(first_name="Quinn", last_name="Zzestimtest")
    CoverageFactory(patient=patient, member_id="ZZE0001226")
    now = dt.datetime.now(NY).replace(second=0, microsecond=0)
    appointment = AppointmentFactory(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=AppointmentTypeFactory(duration_minutes=1, estimate_codes="99213"),
        starts_at=now,
    )
    user = UserFactory(username="desk.estimate", first_name="Flora", role=Role.FRONT_DESK)
    assign(user, location)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.estimate")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Flora").wait_for()

    page.goto(f"/front-desk/?location={location.pk}")
    page.locator("tr", has_text="Zzestimtest, Q.").get_by_role("button", name="Check in").click()
    estimate = page.locator(f"#est-{appointment.pk}")
    estimate.get_by_text("no eligibility answer yet: run a check").wait_for()
    assert estimate.locator(f"#est-owes-{appointment.pk}").inner_text() == "$150.00"

    # Beside the eligibility panel the estimate leaves the check to it, and reloads on its answer.
    assert estimate.get_by_role("button").count() == 0
    page.locator(".eligibility-panel").get_by_role("button", name="Check eligibility").click()
    page.locator(".eligibility-panel").get_by_text("Office visit copay").wait_for()
    page.locator(f"#est-{appointment.pk}").get_by_text("benefits checked").wait_for()
    # The check-in form is still the one on screen (the estimate only replaced itself).
    panel = page.locator("#flow-panel")
    assert panel.get_by_role("button", name="Check in", exact=True).is_visible()


def test_the_appointment_panel_shows_the_estimate_and_runs_a_check(page, live_server, settings):
    settings.FRONTDESK_CLEARINGHOUSE = "simulated"
    standard = FeeSchedule.objects.create(name="Standard", effective_from=dt.date(2020, 1, 1))
    FeeScheduleEntry.objects.create(schedule=standard, code="99213", amount=Decimal("150.00"))
    location = LocationFactory()
    provider = ProviderFactory(last_name="Zzestdoc")
    provider.locations.add(location)
    day = (dt.datetime.now(NY) + dt.timedelta(days=2)).date()
    patient = PatientFactory(first_name="Quinn", last_name="Zzestsched")
    CoverageFactory(patient=patient, member_id="ZZE0001227")
    appointment = AppointmentFactory(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=AppointmentTypeFactory(name="Follow-up", estimate_codes="99213"),
        starts_at=dt.datetime.combine(day, dt.time(9), tzinfo=NY),
    )
    user = UserFactory(username="desk.estsched", first_name="Brenda", role=Role.FRONT_DESK)
    assign(user, location)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.estsched")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Brenda").wait_for()

    page.goto(f"/scheduling/?location={location.pk}&date={day.isoformat()}")
    page.locator(f'[data-appointment="{appointment.pk}"]').click()
    estimate = page.locator(f"#est-{appointment.pk}")
    estimate.get_by_text("no eligibility answer yet: run a check").wait_for()
    estimate.get_by_role("button", name="Check eligibility").click()
    page.locator(f"#est-{appointment.pk}").get_by_text("benefits checked").wait_for()
    assert page.locator(f"#est-run-{appointment.pk}").count() == 0
    # The appointment panel around it is untouched (the estimate only replaced itself).
    assert page.get_by_role("button", name="Cancel appointment").is_visible()
