"""A weekly series in a real browser: book 4 visits from the day view where one date is taken, see it
in the preview, book the free dates, then cancel "this and following" from the 3rd date
(Playwright driving Debian's Chromium against a live server, real clock)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.scheduling.models import Appointment, AppointmentSeries
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


def test_weekly_series_with_a_conflict_then_cancel_this_and_following(page, live_server):
    location = LocationFactory()
    provider = ProviderFactory(last_name="Zzseries")
    provider.locations.add(location)
    day = (dt.datetime.now(NY) + dt.timedelta(days=2)).date()
    AvailabilityTemplateFactory(provider=provider, location=location, weekday=day.weekday())
    kind = AppointmentTypeFactory(name="Physical therapy", duration_minutes=20)
    patient = PatientFactory(first_name="Quinn", last_name="Zzweekly", mrn="T8880077")
    dates = [day + dt.timedelta(weeks=n) for n in range(4)]

    def at(date: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(date, dt.time(hour), tzinfo=NY)

    # The second week's 10:00 is already someone else's.
    AppointmentFactory(
        patient=PatientFactory(),
        provider=provider,
        location=location,
        appointment_type=kind,
        starts_at=at(dates[1], 10),
    )
    user = UserFactory(username="desk.series", first_name="Brenda", role=Role.FRONT_DESK)
    assign(user, location)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.series")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Brenda").wait_for()
    page.goto(f"/scheduling/?location={location.pk}&date={day.isoformat()}")

    page.get_by_role("button", name="Book Zzseries at 10:00").click()
    search = page.get_by_label("Search: name, date of birth, phone or MRN")
    search.wait_for()
    search.press_sequentially("Zzweekly", delay=40)
    page.get_by_role("radio", name="MRN T8880077").check()
    page.get_by_label("Appointment type").select_option(label="Physical therapy (20 min)")
    page.get_by_label("Repeat: book a series").check()
    page.get_by_label("Number of visits in all").fill("4")
    page.get_by_role("button", name="Book", exact=True).click()

    preview = page.locator(".sched-preview")
    preview.get_by_text("4 dates: 3 free, 1 with a conflict").wait_for()
    rows = preview.locator("tbody tr")
    assert rows.count() == 4
    second = rows.nth(1).inner_text()
    assert second.startswith(f"{dates[1]:%a} {dates[1].day} {dates[1]:%b %Y} 10:00")
    assert "Conflict: That time was just taken; pick another." in second
    assert [rows.nth(i).inner_text().endswith("Free") for i in range(4)] == [
        True,
        False,
        True,
        True,
    ]
    assert Appointment.objects.filter(patient=patient).count() == 0  # the preview wrote nothing

    page.get_by_role("button", name="Book the 3 free dates").click()
    page.get_by_role("status").filter(has_text="Booked 3 visits for MRN T8880077").wait_for()
    page.get_by_role("alert").filter(has_text="Not booked (1):").wait_for()
    series = AppointmentSeries.objects.get()
    booked = list(Appointment.objects.filter(series=series).order_by("starts_at"))
    assert [a.starts_at for a in booked] == [at(dates[n], 10) for n in (0, 2, 3)]

    # Cancel this and following from the 3rd date of the series (the 2nd week was not booked, so the
    # panel counts it as the 2nd of the 3 booked occurrences and says the series had 4 dates).
    third = booked[1]
    page.goto(f"/scheduling/?location={location.pk}&date={dates[2].isoformat()}")
    page.locator(f'[data-appointment="{third.pk}"]').click()
    page.get_by_text("Occurrence 2 of 3 booked · a series of 4 dates, every week").wait_for()
    page.get_by_label("Reason").select_option(label="Patient ill")
    page.get_by_label("Patient", exact=True).check()
    page.locator("#cancel-scope-following").check()
    page.get_by_role("button", name="Cancel appointment").click()
    done = page.get_by_role("status").filter(has_text="Cancelled 2 appointments:")
    done.wait_for()
    assert f"{dates[2]:%a} {dates[2].day} {dates[2]:%b %Y} 10:00" in done.inner_text()
    assert f"{dates[3]:%a} {dates[3].day} {dates[3]:%b %Y} 10:00" in done.inner_text()
    assert [Appointment.objects.get(pk=a.pk).status for a in booked] == [
        "booked",
        "cancelled",
        "cancelled",
    ]
