"""Self check-in at a tablet kiosk in a real browser: a manager enrols the tablet; a patient checks in
by last name + date of birth, reports a new phone and a new insurance (payer from the list, member ID,
a photo of the card; it all waits in the review queue), signs the privacy notice, sees "You are checked
in", and the kiosk returns to its start screen; the desk's board shows the patient arrived and the desk
applies the reported change (Playwright driving Debian's Chromium against a live server, real clock)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zoneinfo

import pytest
from PIL import Image

from frontdesk.accounts.choices import Role
from frontdesk.chartprep.models import ConsentAcknowledgement
from frontdesk.kiosk.models import KioskChangeRequest
from frontdesk.patients.models import Coverage, Patient
from frontdesk.visits.models import Visit
from tests.factories import (
    TEST_PASSWORD,
    AppointmentFactory,
    AppointmentTypeFactory,
    CoverageFactory,
    LocationFactory,
    PatientFactory,
    PatientPhoneFactory,
    PayerFactory,
    ProviderFactory,
    UserFactory,
    assign,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

NY = zoneinfo.ZoneInfo("America/New_York")


def _log_in(page, username: str, first_name: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=f"Good day, {first_name}").wait_for()


def test_kiosk_self_check_in(page, browser, live_server, settings):
    settings.CHARTPREP_REQUIRED_CONSENTS = {"privacy_notice": 365}
    location = LocationFactory(name="Zz Kiosk Clinic")
    provider = ProviderFactory(first_name="Ada", last_name="Zzkioskdoc")
    provider.locations.add(location)
    kind = AppointmentTypeFactory(name="Follow-up", duration_minutes=15)
    patient = PatientFactory(
        first_name="Kira",
        last_name="Zzkiosktest",
        last_name_key="zzkiosktest",
        date_of_birth=dt.date(1975, 6, 9),
        address_line1="12 Example Road",
        city="Springfield",
    )
    CoverageFactory(patient=patient, member_id="ZZK0004321")
    new_payer = PayerFactory(name="Zz Example Mutual", payer_id="ZZMUT1")
    card = io.BytesIO()
    Image.new("RGB", (80, 50), "green").save(card, format="PNG")
    PatientPhoneFactory(patient=patient, number="+12025550123")
    now = dt.datetime.now(NY).replace(second=0, microsecond=0)
    appointment = AppointmentFactory(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=kind,
        starts_at=now + dt.timedelta(minutes=1),
    )
    manager = UserFactory(username="kiosk.manager", first_name="Mara", role=Role.PRACTICE_MANAGER)
    assign(manager, location)
    desk = UserFactory(username="kiosk.desk", first_name="Dora", role=Role.FRONT_DESK)
    assign(desk, location)

    # 1. The practice manager registers the tablet and reads the one-time code.
    _log_in(page, "kiosk.manager", "Mara")
    page.goto("/kiosk/devices/")
    page.get_by_label("Location").select_option(label="Zz Kiosk Clinic")
    page.get_by_label("Name").fill("Lobby tablet")
    page.get_by_role("button", name="Register").click()
    code = page.locator("#enrol-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)

    # 2. The tablet (its own browser, no staff session) enrols with the code.
    tablet_context = browser.new_context(base_url=live_server.url)
    tablet_context.set_default_timeout(15_000)
    tablet = tablet_context.new_page()
    errors: list[str] = []
    tablet.on("pageerror", lambda exc: errors.append(str(exc)))
    tablet.goto("/kiosk/")
    tablet.get_by_text("This tablet is not enrolled").wait_for()
    tablet.goto("/kiosk/enroll/")
    tablet.get_by_label("Enrolment code").fill(code)
    tablet.get_by_role("button", name="Enrol").click()
    tablet.get_by_role("heading", name="Welcome! Check in here").wait_for()

    # 3. The patient: last name + date of birth.
    tablet.get_by_label("Last name").fill("ZZKIOSKTEST")
    tablet.get_by_label("Date of birth").fill("1975-06-09")
    tablet.get_by_role("button", name="Continue").click()
    tablet.get_by_role("heading", name="Hello, Kira").wait_for()
    body = tablet.locator("main").inner_text()
    assert "Zzkioskdoc" in body and "ending in 0123" in body and "ending in 4321" in body
    assert "12 Example" not in body

    # 4. A new phone and new insurance (with a photo of the card): they go to the review queue,
    # not the record.
    tablet.get_by_role("button", name="Something changed").click()
    tablet.get_by_label("Phone").fill("(202) 555-0177")
    tablet.get_by_label("Insurance company").select_option(label="Zz Example Mutual")
    tablet.get_by_label("Member ID").fill("ZZM0042")
    tablet.get_by_label("Photo of the card: front (optional)").set_input_files(
        {"name": "card.png", "mimeType": "image/png", "buffer": card.getvalue()}
    )
    tablet.get_by_role("button", name="Send").click()

    # 5. Sign the privacy notice.
    tablet.get_by_role("heading", name="Please sign").wait_for()
    assert "Notice of privacy practices" in tablet.locator("main").inner_text()
    tablet.get_by_label("I have read and accept the forms listed above.").check()
    tablet.get_by_label("Type your full name as your signature").fill("Kira Zzkiosktest")
    tablet.get_by_role("button", name="Sign and check in").click()
    tablet.get_by_role("heading", name="You are checked in").wait_for()

    # 6. The kiosk goes back to its start screen by itself (after about 10 seconds).
    tablet.get_by_role("heading", name="Welcome! Check in here").wait_for(timeout=20_000)
    assert "Kira" not in tablet.locator("main").inner_text()
    tablet_context.close()
    assert errors == []

    change = KioskChangeRequest.objects.get()
    assert change.status == "pending"
    assert change.fields["phone"] == "+12025550177"
    assert (change.fields["insurance"]["payer_id"], change.fields["insurance"]["member_id"]) == (
        new_payer.pk,
        "ZZM0042",
    )
    assert change.card_front.read() == card.getvalue()
    assert Coverage.objects.get(patient=patient).member_id == "ZZK0004321"
    phones = list(Patient.objects.get(pk=patient.pk).phones.values_list("number", flat=True))
    assert phones == ["+12025550123"]
    consent = ConsentAcknowledgement.objects.get(patient=patient)
    assert (consent.kind, consent.method) == ("privacy_notice", "electronic")
    assert Visit.objects.get(appointment=appointment).state == "arrived"

    # 7. The desk's board shows the patient arrived.
    desk_context = browser.new_context(base_url=live_server.url)
    desk_page = desk_context.new_page()
    _log_in(desk_page, "kiosk.desk", "Dora")
    desk_page.goto(f"/front-desk/board/?location={location.pk}")
    desk_page.locator(
        'section[data-state="arrived"] [data-card]', has_text="Zzkiosktest"
    ).wait_for()
    # 8. The desk reviews the report side by side and applies it: the coverage changes (unverified).
    desk_page.goto("/kiosk/changes/")
    queue = desk_page.locator("main").inner_text()
    assert "(202) 555-0177" in queue and "Zz Example Mutual" in queue and "ZZM0042" in queue
    desk_page.get_by_role("img", name="Insurance card, front, photographed at the kiosk").wait_for()
    desk_page.get_by_role("button", name="Apply").click()
    desk_page.get_by_text("The coverage is not verified: confirm the card at check-in.").wait_for()

    # 9. She tapped in on the wrong appointment: the desk undoes the kiosk arrival with a reason.
    desk_page.goto(f"/front-desk/?location={location.pk}")
    row = desk_page.locator(f'tr[data-appointment="{appointment.pk}"]')
    assert "self checked in" in row.inner_text()
    row.locator("summary", has_text="Undo arrival").click()
    row.get_by_label("Reason").fill("Tapped in on the wrong appointment")
    row.locator("button", has_text="Undo arrival").click()
    desk_page.get_by_text("Kiosk arrival undone; the patient is expected again.").wait_for()
    desk_context.close()
    assert Visit.objects.get(appointment=appointment).state == "expected"
    active = Coverage.objects.get(patient=patient, status="active")
    assert (active.payer_id, active.member_id) == (new_payer.pk, "ZZM0042")
    phones = list(Patient.objects.get(pk=patient.pk).phones.values_list("number", flat=True))
    assert phones == ["+12025550177"]
