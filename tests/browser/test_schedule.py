"""The schedule in a real browser: book from the day view, reschedule and cancel through the
appointment panel (Playwright driving Debian's Chromium against a live server, real clock)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.scheduling.models import Appointment
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


class Clinic:
    def __init__(self) -> None:
        self.location = LocationFactory()
        self.provider = ProviderFactory(last_name="Zzdoctor")
        self.provider.locations.add(self.location)
        # Two days ahead, so every time of the day is in the future whatever the clock says.
        self.day = (dt.datetime.now(NY) + dt.timedelta(days=2)).date()
        AvailabilityTemplateFactory(
            provider=self.provider, location=self.location, weekday=self.day.weekday()
        )
        self.kind = AppointmentTypeFactory(name="Follow-up", duration_minutes=20)
        self.patient = PatientFactory(first_name="Quinn", last_name="Zzbrowser", mrn="T8880001")

    def at(self, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(hour, minute), tzinfo=NY)

    @property
    def url(self) -> str:
        return f"/scheduling/?location={self.location.pk}&date={self.day.isoformat()}"


def _log_in(page, clinic: Clinic) -> None:
    user = UserFactory(username="desk.schedule", first_name="Brenda", role=Role.FRONT_DESK)
    assign(user, clinic.location)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.schedule")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Brenda").wait_for()


def test_book_from_the_day_view(page, live_server):
    clinic = Clinic()
    _log_in(page, clinic)
    page.goto(clinic.url)

    slot = page.get_by_role("button", name="Book Zzdoctor at 10:00")
    slot.focus()
    page.keyboard.press("Enter")  # keyboard: Enter on a focused empty slot opens the booking panel
    # Typed key by key, as a person does: the panel was just swapped in, and htmx wires up its
    # search box a moment after the swap (an instant fill() can land before that).
    search = page.get_by_label("Search: name, date of birth, phone or MRN")
    search.wait_for()
    search.press_sequentially("Zzbrowser", delay=40)
    page.get_by_role("radio", name="MRN T8880001").check()
    page.get_by_label("Appointment type").select_option(label="Follow-up (20 min)")
    page.get_by_role("button", name="Book", exact=True).click()

    page.get_by_role("status").filter(has_text="for MRN T8880001").wait_for()
    # The grid re-renders by itself and shows the new appointment (minimum necessary: "Last, F.").
    page.locator("[data-appointment]").filter(has_text="Zzbrowser, Q.").wait_for()
    booked = Appointment.objects.get()
    assert booked.starts_at == clinic.at(10)
    assert booked.patient == clinic.patient


def test_reschedule_and_cancel_from_the_appointment_panel(page, live_server):
    clinic = Clinic()
    appointment = AppointmentFactory(
        patient=clinic.patient,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.kind,
        starts_at=clinic.at(9),
    )
    _log_in(page, clinic)
    page.goto(clinic.url)

    page.locator(f'[data-appointment="{appointment.pk}"]').click()
    page.get_by_label("New start", exact=False).fill(f"{clinic.day.isoformat()}T11:00")
    page.get_by_role("button", name="Move", exact=True).click()
    page.get_by_role("status").filter(has_text="Moved to").wait_for()
    appointment.refresh_from_db()
    assert appointment.starts_at == clinic.at(11)

    moved = page.locator(f'[data-appointment="{appointment.pk}"]').filter(has_text="11:00")
    moved.wait_for()
    moved.click()
    # Without a reason the server's 422 panel is shown beside the fields (schedule.js lets htmx swap it).
    page.get_by_role("button", name="Cancel appointment").click()
    page.get_by_text("Choose a cancellation reason.").wait_for()
    page.get_by_label("Reason").select_option(label="Patient ill")
    page.get_by_label("Patient", exact=True).check()
    page.get_by_role("button", name="Cancel appointment").click()
    page.get_by_role("status").filter(has_text="Appointment cancelled.").wait_for()
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert appointment.cancellation_reason == "patient_ill"
    assert appointment.cancelled_by == "patient"
