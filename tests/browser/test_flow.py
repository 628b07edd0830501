"""The front desk's day in a real browser: check a patient in through the checklist, room them from
the flow board and watch the wait clock, and mark the provider running late (Playwright driving
Debian's Chromium against a live server, real clock)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.notifications.models import Message
from frontdesk.visits.models import CheckIn, RunningLateNotice, Visit
from tests.factories import (
    TEST_PASSWORD,
    AppointmentFactory,
    AppointmentTypeFactory,
    CoverageFactory,
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


def _clinic() -> dict:
    location = LocationFactory()
    provider = ProviderFactory(first_name="Ada", last_name="Zzlate")
    provider.locations.add(location)
    room = RoomFactory(location=location, name="Exam 7")
    kind = AppointmentTypeFactory(name="Follow-up", duration_minutes=1)
    # Today in New York, whatever the clock says: now (to the minute) and two minutes earlier.
    now = dt.datetime.now(NY).replace(second=0, microsecond=0)
    patient = PatientFactory(first_name="Quinn", last_name="Zzflowtest")
    CoverageFactory(patient=patient, copay_primary_care=Decimal("20.00"))
    waiting = PatientFactory(
        first_name="Wren", last_name="Zzwaiting", email_consent_at=dt.date(2026, 1, 1)
    )
    first = AppointmentFactory(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=kind,
        starts_at=now - dt.timedelta(minutes=2),
    )
    AppointmentFactory(
        patient=waiting, provider=provider, location=location, appointment_type=kind, starts_at=now
    )
    return {"location": location, "provider": provider, "room": room, "first": first}


def _log_in(page, location) -> None:
    user = UserFactory(username="desk.flow", first_name="Flora", role=Role.FRONT_DESK)
    assign(user, location)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("desk.flow")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Good day, Flora").wait_for()


def test_check_in_room_and_running_late(page, live_server):
    clinic = _clinic()
    location = clinic["location"]
    _log_in(page, location)

    # 1. Check in through the checklist (keyboard: the button is focused and Enter pressed).
    page.goto(f"/front-desk/?location={location.pk}")
    row = page.locator("tr", has_text="Zzflowtest, Q.")
    row.get_by_role("button", name="Check in").focus()
    page.keyboard.press("Enter")
    panel = page.locator("#flow-panel")
    panel.get_by_role("heading", name="Check in Zzflowtest, Quinn").wait_for()
    assert panel.get_by_text("Notice of privacy practices").is_visible()  # no consent on file
    assert panel.get_by_text("$20.00").is_visible()
    panel.get_by_label("Identity confirmed").check()
    panel.get_by_label("Address, phone and contacts confirmed with the patient").check()
    panel.get_by_label("Phone", exact=True).check()
    panel.get_by_label("Card seen and matches").check()
    panel.get_by_role("button", name="Check in").click()
    panel.get_by_text("Checked in: Zzflowtest, Q. Collect $20.00.").wait_for()
    check = CheckIn.objects.get()
    assert (check.changed_fields, check.insurance_confirmed) == (["phone"], True)

    # 2. Room the patient from the board and see the wait clock.
    page.goto(f"/front-desk/board/?location={location.pk}")
    arrived = page.locator('section[data-state="arrived"] [data-card]', has_text="Zzflowtest")
    arrived.click()
    page.locator("#flow-panel").get_by_label("Room").select_option(label="Exam 7")
    page.locator("#flow-panel").get_by_role("button", name="Room", exact=True).click()
    page.locator("#flow-panel").get_by_text("Zzflowtest, Q.: Roomed (Exam 7).").wait_for()
    roomed = page.locator('section[data-state="roomed"] [data-card]', has_text="Zzflowtest")
    roomed.wait_for()
    assert re.search(r"\d+ min in state · total \d+ min", roomed.inner_text())
    page.locator(".flow-rooms").get_by_text(re.compile(r"Exam 7: Zzflowtest, Q\.")).wait_for()
    # Twenty minutes later (as the database sees it) the open board turns the card amber by itself.
    Visit.objects.filter(appointment=clinic["first"]).update(
        state_since=timezone.now() - dt.timedelta(minutes=20), updated_at=timezone.now()
    )
    amber = page.locator('section[data-state="roomed"] .flow-card.lvl-amber')
    amber.wait_for(timeout=15_000)
    assert "20 min in state" in amber.inner_text()

    # 3. The provider runs late: the patient still waiting is told, once.
    page.get_by_label("Running late").select_option(label="Zzlate, A. MD")
    page.get_by_label("by (minutes)").fill("20")
    page.get_by_role("button", name="Notify remaining patients").click()
    page.locator("#late-result").get_by_text(
        "Running late 20 min: 1 patient(s) notified (1 message(s))."
    ).wait_for()
    page.get_by_text("Zzlate: running 20 min late · 1 notified").wait_for()
    assert RunningLateNotice.objects.count() == 1
    assert list(Message.objects.values_list("patient__last_name", "purpose")) == [
        ("Zzwaiting", "running_late")
    ]
