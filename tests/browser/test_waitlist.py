"""Cancel and see the waitlist offer go out (Playwright driving Debian's Chromium, real clock).

A front-desk user cancels an appointment from the day view; the freed time is offered to the waiting
patient by SMS; staff see the offer (sent) and the SMS in the message log; the patient accepts on the
public offer page in a browser of their own; the offer shows accepted and the day view the new visit.
"""

from __future__ import annotations

import pytest

from frontdesk.notifications.models import FollowUpTask, Message
from frontdesk.notifications.services import message_deliver_now
from frontdesk.scheduling.models import Appointment
from frontdesk.waitlist.models import WaitlistEntry, WaitlistOffer
from tests.browser.test_schedule import Clinic, _log_in
from tests.factories import AppointmentFactory, PatientFactory, PatientPhoneFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _sms_now(settings, tmp_path):
    # Whatever the hour the test runs at, the offer goes out now, through the file gateway.
    settings.NOTIFY_QUIET_HOURS = ""
    settings.NOTIFY_SMS_GATEWAY = "file"
    settings.DATA_DIR = tmp_path


def _deliver_queued() -> None:
    """What the worker does after commit: send each queued message."""
    for pk in Message.objects.filter(status="queued").values_list("pk", flat=True):
        message_deliver_now(message_id=pk)


def test_cancel_and_see_the_waitlist_offer_go_out(page, browser, live_server):
    clinic = Clinic()
    cancelled = AppointmentFactory(
        patient=clinic.patient,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.kind,
        starts_at=clinic.at(9),
    )
    waiting = PatientFactory(
        first_name="Wanda",
        last_name="Zzwaiting",
        mrn="T8880002",
        sms_consent_at=clinic.day,
    )
    PatientPhoneFactory(patient=waiting, number="+12025550188", sms_capable=True)
    WaitlistEntry.objects.create(
        patient=waiting,
        location=clinic.location,
        appointment_type=clinic.kind,
        created_by=UserFactory(),
        created_at=cancelled.created_at,
    )
    # An earlier "R" reply left a call-back task: the Tasks entry in the navigation counts it.
    FollowUpTask.objects.create(kind="reschedule_callback", patient=clinic.patient)
    _log_in(page, clinic)

    # Cancel from the day view, as in test_schedule.py.
    page.goto(clinic.url)
    page.get_by_role("link", name="Tasks 1 open").wait_for()
    page.locator(f'[data-appointment="{cancelled.pk}"]').click()
    page.get_by_label("Reason").select_option(label="Patient ill")
    page.get_by_label("Patient", exact=True).check()
    page.get_by_role("button", name="Cancel appointment").click()
    page.get_by_role("status").filter(has_text="Appointment cancelled.").wait_for()

    offer = WaitlistOffer.objects.get()
    assert (offer.entry.patient_id, offer.starts_at, offer.status, offer.delivery) == (
        waiting.pk,
        clinic.at(9),
        "offered",
        "sent",
    )
    _deliver_queued()

    # The offers screen shows the offer to the waiting patient and its SMS.
    page.get_by_role("link", name="Waitlist").click()
    page.get_by_role("link", name="Offers").click()
    row = page.locator(f'[data-offer="{offer.pk}"]')
    row.filter(has_text="Zzwaiting, W. · MRN T8880002").wait_for()
    assert row.locator(".badge").first.inner_text() == "Offered"
    assert "SMS sent" in row.inner_text()

    # The message log shows the SMS, recipient masked.
    page.get_by_role("link", name="Messages").click()
    sms = page.locator(".message-log tbody tr").filter(has_text="Waitlist offer")
    sms.wait_for()
    assert "***-***-0188" in sms.inner_text()
    assert "Sent" in sms.inner_text()
    assert "+12025550188" not in page.content()

    # The patient opens the link from the SMS in their own browser (no login) and accepts.
    patient_context = browser.new_context(base_url=live_server.url)
    try:
        patient_page = patient_context.new_page()
        patient_page.goto(f"/w/{offer.token}/")
        patient_page.get_by_role("heading", name="Hello Wanda, an earlier appointment").wait_for()
        assert "Zzwaiting" not in patient_page.content()
        patient_page.get_by_role("button", name="Accept this time").click()
        patient_page.get_by_role("status").filter(has_text="Booked.").wait_for()
    finally:
        patient_context.close()

    # Staff see the outcome and the new appointment.
    page.goto("/waitlist/offers/")
    accepted = page.locator(f'[data-offer="{offer.pk}"] .badge').first
    accepted.wait_for()
    assert accepted.inner_text() == "Accepted"
    booked = Appointment.objects.get(patient=waiting)
    assert (booked.starts_at, booked.status) == (clinic.at(9), "booked")
    page.goto(clinic.url)
    page.locator(f'[data-appointment="{booked.pk}"]').filter(has_text="Zzwaiting, W.").wait_for()
