"""Schedule setup in a real browser: a practice manager adds a vacation day over a booked appointment
and sees it listed for resolution, then opens that day in the schedule (Playwright + Chromium)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.scheduling.models import Appointment, ScheduleException
from tests.factories import (
    TEST_PASSWORD,
    AppointmentFactory,
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    UserFactory,
    assign,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

NY = zoneinfo.ZoneInfo("America/New_York")


def test_manager_adds_a_vacation_day_and_sees_the_stranded_appointment(page, live_server):
    location = LocationFactory(name="Zz Setup Clinic")
    provider = ProviderFactory(first_name="Pat", last_name="Zzsetupdoc")
    provider.locations.add(location)
    day = (dt.datetime.now(NY) + dt.timedelta(days=3)).date()
    AvailabilityTemplateFactory(
        provider=provider,
        location=location,
        weekday=day.weekday(),
        effective_from=day - dt.timedelta(days=30),
    )
    appointment = AppointmentFactory(
        provider=provider,
        location=location,
        appointment_type=AppointmentTypeFactory(name="Follow-up", duration_minutes=20),
        patient=PatientFactory(first_name="Quincy", last_name="Zzstranded", mrn="T6660001"),
        starts_at=dt.datetime.combine(day, dt.time(10, 0), tzinfo=NY),
    )
    manager = UserFactory(username="manager.setup", first_name="Maria", role=Role.PRACTICE_MANAGER)
    assign(manager, location)

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("manager.setup")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Maria").wait_for()

    main_nav = page.get_by_role("navigation", name="Main")
    main_nav.get_by_text("Admin").click()  # configuration sections live in the Admin menu
    main_nav.get_by_role("link", name="Schedule setup").click()
    page.get_by_role("link", name="Time off and closures").first.click()
    page.get_by_role("link", name="New time off or closure").click()

    page.get_by_label("This provider at this location").check()
    page.get_by_role("combobox", name="Location").select_option(label="Zz Setup Clinic")
    page.get_by_role("combobox", name="Provider").select_option(label=provider.display_name)
    page.get_by_label("From date").fill(day.isoformat())
    page.get_by_role("combobox", name="Reason").select_option(label="Vacation")
    page.get_by_label("Note").fill("Family trip")
    page.get_by_role("button", name="Save time off").click()

    page.get_by_role("heading", name="1 booked appointment now outside availability").wait_for()
    row = page.locator(f'[data-stranded="{appointment.pk}"]')
    assert "Zzstranded, Quincy" in row.inner_text()
    assert "Blocked or time off" in row.inner_text()
    exception = ScheduleException.objects.get()
    assert exception.starts_at == dt.datetime.combine(day, dt.time(0), tzinfo=NY)
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"  # listed, never moved

    # The link opens the day in the schedule, where the appointment can be rescheduled or cancelled.
    row.get_by_role("link").click()
    page.locator(f'[data-appointment="{appointment.pk}"]').wait_for()
    assert f"date={day.isoformat()}" in page.url
