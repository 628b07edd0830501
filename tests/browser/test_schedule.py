"""The schedule in a real browser: book from the day view, reschedule and cancel through the
appointment panel, move an appointment by drag and by keyboard (refused when the time is taken), and
the room columns (Playwright driving Debian's Chromium against a live server, real clock)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.scheduling.models import Appointment, AppointmentEvent
from tests.factories import (
    TEST_PASSWORD,
    AppointmentFactory,
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
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


def _appointment(clinic: Clinic, hour: int, minute: int = 0, **extra) -> Appointment:
    values = {
        "patient": clinic.patient,
        "provider": clinic.provider,
        "location": clinic.location,
        "appointment_type": clinic.kind,
        "starts_at": clinic.at(hour, minute),
    }
    values.update(extra)
    return AppointmentFactory(**values)


def _moves(appointment: Appointment) -> list[tuple[str, dt.datetime | None, dt.datetime | None]]:
    return list(
        AppointmentEvent.objects.filter(appointment=appointment, kind="rescheduled").values_list(
            "kind", "old_starts_at", "appointment__starts_at"
        )
    )


def _move_audit(appointment: Appointment) -> list[str]:
    return [
        row["detail"]["event"]
        for row in AuditEvent.objects.filter(
            object_type="appointment", object_id=str(appointment.pk), action="update"
        ).values("detail")
    ]


def test_drag_an_appointment_to_another_time(page, live_server):
    clinic = Clinic()
    appointment = _appointment(clinic, 9)
    _log_in(page, clinic)
    page.goto(clinic.url)

    block = page.locator(f'[data-appointment="{appointment.pk}"]')
    target = page.get_by_role("button", name="Book Zzdoctor at 10:30")
    target.scroll_into_view_if_needed()
    source_box, target_box = block.bounding_box(), target.bounding_box()
    grab_y = source_box["y"] + 4  # near the block's top edge, so its top lands on the target row
    page.mouse.move(source_box["x"] + 20, grab_y)
    page.mouse.down()
    for fraction in (0.25, 0.5, 0.75, 1.0):
        page.mouse.move(
            source_box["x"] + 20, grab_y + fraction * (target_box["y"] - source_box["y"])
        )
    page.locator(".sched-ghost").filter(has_text="10:30").wait_for()
    page.mouse.up()

    page.get_by_role("status").filter(has_text="Moved to").wait_for()
    page.locator(f'[data-appointment="{appointment.pk}"]').filter(has_text="10:30").wait_for()
    appointment.refresh_from_db()
    assert appointment.starts_at == clinic.at(10, 30)
    assert _moves(appointment) == [("rescheduled", clinic.at(9), clinic.at(10, 30))]
    assert _move_audit(appointment) == ["rescheduled"]


def test_move_an_appointment_with_the_keyboard_to_another_time_and_provider(page, live_server):
    clinic = Clinic()
    other = ProviderFactory(last_name="Zzzsecond")
    other.locations.add(clinic.location)
    AvailabilityTemplateFactory(
        provider=other, location=clinic.location, weekday=clinic.day.weekday()
    )
    appointment = _appointment(clinic, 9)
    _log_in(page, clinic)
    page.goto(clinic.url)

    block = page.locator(f'[data-appointment="{appointment.pk}"]')
    block.focus()
    page.keyboard.press("m")
    page.locator(".sched-ghost").filter(has_text="09:00").wait_for()
    for _ in range(3):  # three 5-minute grid steps
        page.keyboard.press("ArrowDown")
    page.keyboard.press("PageDown")  # an hour
    page.keyboard.press("ArrowRight")  # the next provider's column
    page.locator("#sched-live").filter(has_text="10:15 · Zzzsecond").wait_for()
    page.keyboard.press("Enter")

    page.get_by_role("status").filter(has_text="Moved to").wait_for()
    page.locator(f'[data-provider="{other.pk}"] [data-appointment="{appointment.pk}"]').wait_for()
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.provider_id) == (clinic.at(10, 15), other.pk)
    assert _moves(appointment) == [("rescheduled", clinic.at(9), clinic.at(10, 15))]
    assert _move_audit(appointment) == ["rescheduled"]
    # Focus returns to the moved block in the refreshed grid, and Escape ends a move unchanged.
    page.locator(f'[data-appointment="{appointment.pk}"]:focus').wait_for()
    page.keyboard.press("m")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Escape")
    page.locator("#sched-live").filter(has_text="Move cancelled.").wait_for()
    assert page.locator(".sched-ghost").count() == 0
    appointment.refresh_from_db()
    assert appointment.starts_at == clinic.at(10, 15)


def test_moving_onto_a_taken_time_says_so_and_changes_nothing(page, live_server):
    clinic = Clinic()
    appointment = _appointment(clinic, 9)
    _appointment(clinic, 10, patient=PatientFactory(last_name="Zzother"))
    _log_in(page, clinic)
    page.goto(clinic.url)

    page.locator(f'[data-appointment="{appointment.pk}"]').focus()
    page.keyboard.press("m")
    page.keyboard.press("PageDown")  # 10:00, taken by the other patient
    page.keyboard.press("Enter")

    page.locator("#sched-panel").get_by_text("That time was just taken; pick another.").wait_for()
    page.locator("#sched-live").filter(has_text="Not moved.").wait_for()
    assert page.locator(".sched-ghost").count() == 0
    block = page.locator(f'[data-appointment="{appointment.pk}"]')
    assert "09:00" in block.inner_text()
    appointment.refresh_from_db()
    assert appointment.starts_at == clinic.at(9)
    assert _moves(appointment) == []
    assert _move_audit(appointment) == []


def test_room_columns(page, live_server):
    clinic = Clinic()
    exam = RoomFactory(location=clinic.location, name="Exam Zz1")
    RoomFactory(location=clinic.location, name="Exam Zz2")
    in_room = _appointment(clinic, 9, room=exam)
    no_room = _appointment(clinic, 10, patient=PatientFactory(last_name="Zzroomless"))
    _log_in(page, clinic)
    page.goto(clinic.url)

    page.get_by_role("link", name="Room columns").click()
    page.get_by_role("group", name="Exam Zz1").locator(
        f'[data-appointment="{in_room.pk}"]'
    ).wait_for()
    page.get_by_role("group", name="Exam Zz2").wait_for()
    unassigned = page.get_by_role("group", name="No room")
    unassigned.locator(f'[data-appointment="{no_room.pk}"]').filter(has_text="Zzdoctor").wait_for()
    assert page.get_by_label("Columns").input_value() == "rooms"
    assert page.get_by_role("button", name="Book Zzdoctor at 11:00").count() == 0
    page.get_by_role("link", name="Provider columns").click()
    page.get_by_role("group", name="Zzdoctor", exact=False).wait_for()
