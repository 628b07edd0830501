"""Self check-in at the kiosk: device identity, matching, codes, change requests, consents, check-in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from frontdesk.audit.models import AuditEvent
from frontdesk.chartprep.models import ConsentAcknowledgement
from frontdesk.core.errors import Conflict, ValidationFailed
from frontdesk.kiosk.codes import kiosk_code, kiosk_code_decode, kiosk_code_for
from frontdesk.kiosk.errors import InvalidKioskCode
from frontdesk.kiosk.models import KioskChangeRequest, KioskDevice
from frontdesk.kiosk.services import (
    kiosk_change_apply,
    kiosk_change_reject,
    kiosk_device_enrol,
    kiosk_device_revoke,
)
from frontdesk.patients.models import Patient
from frontdesk.scheduling.models import Appointment
from frontdesk.visits.models import FlowEvent, Visit
from tests.factories import LocationFactory

from .conftest import NOW, at

pytestmark = pytest.mark.django_db

SEE_DESK = "Please see the front desk."


def _find(client: Client, last_name: str, dob: str) -> Any:
    return client.post("/kiosk/", {"last_name": last_name, "date_of_birth": dob}, follow=True)


# --- device identity ---------------------------------------------------------------------------------


def test_registration_stores_only_hashes_and_the_code_enrols_once(registered):
    device, code = registered
    assert len(code) == 9 and code[4] == "-"
    assert code.replace("-", "") not in device.enrol_code_hash
    assert device.service_user.is_service_account is True
    assert device.service_user.display_name == "kiosk Lobby tablet"
    client = Client()
    response = client.post("/kiosk/enroll/", {"code": code.lower()})
    assert response.status_code == 302
    cookie = response.cookies["fd_kiosk"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    device.refresh_from_db()
    assert device.enrolled_at is not None and device.enrol_code_hash == ""
    secret = cookie.value
    assert device.secret_hash not in secret
    # The code is spent: a second tablet cannot use it.
    again = Client().post("/kiosk/enroll/", {"code": code})
    assert again.status_code == 400
    assert "not valid or has expired" in again.content.decode()


def test_no_device_cookie_is_403(now, patient_appt):
    for path in ("/kiosk/", "/kiosk/confirm/", "/kiosk/consents/", "/kiosk/done/"):
        response = Client().get(path)
        assert response.status_code == 403
        assert "This tablet is not enrolled" in response.content.decode()


def test_forged_cookie_is_403(tablet, device):
    tablet.cookies["fd_kiosk"] = f"{device.pk}:forged"
    assert tablet.get("/kiosk/").status_code == 403


def test_a_staff_session_is_not_a_device(clerk):
    client = Client()
    client.force_login(clerk)
    assert client.get("/kiosk/").status_code == 403


def test_revocation_takes_effect_at_once(tablet, device, manager):
    assert tablet.get("/kiosk/").status_code == 200
    kiosk_device_revoke(actor=manager, device=device)
    assert tablet.get("/kiosk/").status_code == 403
    device.service_user.refresh_from_db()
    assert device.service_user.is_active is False


def test_expired_enrolment_code_is_refused(registered):
    device, code = registered
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)
    with time_machine.travel(later), pytest.raises(ValidationFailed, match="not valid or has"):
        kiosk_device_enrol(code=code)
    device.refresh_from_db()
    assert device.secret_hash == ""


def test_device_admin_shows_the_code_once(manager, location):
    client = Client()
    client.force_login(manager)
    response = client.post("/kiosk/devices/", {"location": location.pk, "name": "Front tablet"})
    assert response.status_code == 200
    assert "Enrolment code" in response.content.decode()
    device = KioskDevice.objects.get(name="Front tablet")
    listing = client.get("/kiosk/devices/").content.decode()
    assert "Front tablet" in listing and "Enrolment code" not in listing
    assert client.post(f"/kiosk/devices/{device.pk}/revoke/").status_code == 302
    device.refresh_from_db()
    assert device.revoked_at is not None


# --- matching -------------------------------------------------------------------------------------


def test_match_is_case_and_accent_insensitive_and_shows_minimum(tablet, device, patient_appt):
    response = _find(tablet, "nunez-TESTWELL", "1970-03-04")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Hello, Zelda" in page
    assert "10:30 AM" in page
    assert "Examplia" in page
    # Masked: no house number, phone and member id by their last four only.
    assert "42 Example" not in page and "Example Street" in page
    assert "ending in 0123" in page and "555" not in page
    assert "ending in 7766" in page and "ZZ99887766" not in page
    assert "Testwell" not in page and "1970" not in page
    event = AuditEvent.objects.filter(detail__event="kiosk_identified").get()
    assert event.actor_name == "kiosk Lobby tablet"
    assert event.patient_id == patient_appt.patient_id


def _assert_reveals_nothing(response: Any, appointment: Any) -> None:
    page = response.content.decode()
    assert SEE_DESK in page
    patient = appointment.patient
    for secret in (patient.first_name, "Testwell", "1970", "10:30", "Examplia", "03-04"):
        assert secret not in page


def test_wrong_dob_reveals_nothing(tablet, device, patient_appt):
    response = _find(tablet, "Nunez-Testwell", "1970-03-05")
    _assert_reveals_nothing(response, patient_appt)
    assert "kiosk" not in tablet.session or not tablet.session.get("kiosk")


def test_two_patients_match_reveals_nothing(tablet, device, patient_appt, book):
    book(
        at(11),
        first_name="Yolanda",
        last_name="Nunez Testwell",
        last_name_key="nuneztestwell",
        date_of_birth=dt.date(1970, 3, 4),
    )
    response = _find(tablet, "Nunez-Testwell", "1970-03-04")
    _assert_reveals_nothing(response, patient_appt)


def test_other_location_or_day_does_not_match(tablet, device, now, book):
    other = LocationFactory()
    book(at(10), where=other, last_name="Farawayson", last_name_key="farawayson")
    book(at(10, day=8), last_name="Tomorrowby", last_name_key="tomorrowby")
    assert SEE_DESK in _find(tablet, "Farawayson", "1980-05-17").content.decode()
    assert SEE_DESK in _find(tablet, "Tomorrowby", "1980-05-17").content.decode()


# --- check-in code --------------------------------------------------------------------------------


def test_code_round_trip_and_tamper():
    day = dt.date(2026, 12, 7)
    code = kiosk_code_for(42, day)
    assert code.startswith("FDCHK:42:20261207:") and kiosk_code_decode(code) == (42, day)
    signature = code[-16:]
    for bad in (
        code[:-1] + ("0" if code[-1] != "0" else "1"),
        "FDCHK:43:20261207:" + signature,
        "FDCHK:42:20261208:" + signature,  # the same appointment on another day
        "FDCHK:42:20261399:" + signature,
        "FDCHK:42:" + signature,  # no day
        "junk",
    ):
        with pytest.raises(InvalidKioskCode):
            kiosk_code_decode(bad)


def test_code_carries_the_appointments_local_day(patient_appt):
    # 22:30 in New York is already the next day in UTC: the code names the local day.
    late = Appointment(pk=7, starts_at=at(22, 30), location=patient_appt.location)
    assert kiosk_code(late) == kiosk_code_for(7, dt.date(2026, 12, 7))


def test_a_code_of_an_appointment_moved_to_today_is_refused(tablet, device, patient_appt):
    # The reminder went out for yesterday; the visit was moved to today: the old code names
    # another day.
    stale = kiosk_code_for(patient_appt.pk, dt.date(2026, 12, 6))
    page = tablet.post("/kiosk/", {"code": stale}, follow=True).content.decode()
    assert SEE_DESK in page and "Zelda" not in page


def test_valid_code_finds_the_appointment(tablet, device, patient_appt):
    response = tablet.post("/kiosk/", {"code": kiosk_code(patient_appt)}, follow=True)
    assert "Hello, Zelda" in response.content.decode()


def test_tampered_code_says_not_valid_and_changes_nothing(tablet, device, patient_appt):
    code = kiosk_code(patient_appt)
    before = AuditEvent.objects.count()
    tampered = code[:-1] + ("0" if code[-1] != "0" else "1")
    page = tablet.post("/kiosk/", {"code": tampered}, follow=True).content.decode()
    assert "This code is not valid — please see the front desk" in page
    assert "Zelda" not in page
    assert AuditEvent.objects.count() == before
    assert not Visit.objects.exists()


def test_valid_code_of_another_day_sees_the_desk(tablet, device, now, book):
    tomorrow = book(at(10, day=8))
    page = tablet.post("/kiosk/", {"code": kiosk_code(tomorrow)}, follow=True).content.decode()
    assert SEE_DESK in page and tomorrow.patient.first_name not in page


# --- the whole flow -------------------------------------------------------------------------------


def test_change_request_never_touches_the_record_until_applied(tablet, device, patient_appt, clerk):
    _find(tablet, "Nunez-Testwell", "1970-03-04")
    tablet.post("/kiosk/confirm/", {"answer": "changed"})
    response = tablet.post("/kiosk/update/", {"phone": "(202) 555-0199", "city": "Shelbyville"})
    assert response.status_code == 302 and response["Location"] == "/kiosk/consents/"
    change = KioskChangeRequest.objects.get()
    assert change.fields == {"city": "Shelbyville", "phone": "+12025550199"}
    patient = Patient.objects.get(pk=patient_appt.patient_id)
    assert patient.city == "Springfield"
    assert list(patient.phones.values_list("number", flat=True)) == ["+12025550123"]

    staff = Client()
    staff.force_login(clerk)
    queue = staff.get("/kiosk/changes/").content.decode()
    assert "Shelbyville" in queue and "(202) 555-0199" in queue
    assert staff.post(f"/kiosk/changes/{change.pk}/apply/").status_code == 302
    patient.refresh_from_db()
    assert patient.city == "Shelbyville"
    assert list(patient.phones.values_list("number", flat=True)) == ["+12025550199"]
    change.refresh_from_db()
    assert change.status == "applied" and change.reviewed_by == clerk
    assert AuditEvent.objects.filter(detail__event="kiosk_change_applied").count() == 1


def test_bad_change_input_is_refused(tablet, device, patient_appt):
    _find(tablet, "Nunez-Testwell", "1970-03-04")
    response = tablet.post("/kiosk/update/", {"postal_code": "12", "phone": "12"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a 5-digit ZIP code." in page and "Enter a 10-digit phone number." in page
    assert tablet.post("/kiosk/update/", {}).status_code == 400
    assert not KioskChangeRequest.objects.exists()


def test_reject_needs_a_reason_and_leaves_the_record(tablet, device, patient_appt, clerk):
    _find(tablet, "Nunez-Testwell", "1970-03-04")
    tablet.post("/kiosk/update/", {"city": "Shelbyville"})
    change = KioskChangeRequest.objects.get()
    with pytest.raises(ValidationFailed, match="reason"):
        kiosk_change_reject(actor=clerk, change=change, reason=" ")
    kiosk_change_reject(actor=clerk, change=change, reason="Patient misread the question")
    change.refresh_from_db()
    assert change.status == "rejected"
    assert Patient.objects.get(pk=patient_appt.patient_id).city == "Springfield"
    with pytest.raises(Conflict, match="already reviewed"):
        kiosk_change_apply(actor=clerk, change=change)


def test_change_of_another_location_is_404(tablet, device, patient_appt):
    _find(tablet, "Nunez-Testwell", "1970-03-04")
    tablet.post("/kiosk/update/", {"city": "Shelbyville"})
    change = KioskChangeRequest.objects.get()
    from frontdesk.accounts.choices import Role
    from tests.factories import UserFactory, assign

    outsider = assign(UserFactory(role=Role.FRONT_DESK), LocationFactory())
    staff = Client()
    staff.force_login(outsider)
    assert staff.post(f"/kiosk/changes/{change.pk}/apply/").status_code == 404
    assert "Shelbyville" not in staff.get("/kiosk/changes/").content.decode()


def test_consents_signed_and_visit_arrived_as_the_device(tablet, device, patient_appt):
    _find(tablet, "Nunez-Testwell", "1970-03-04")
    tablet.post("/kiosk/confirm/", {"answer": "same"})
    page = tablet.get("/kiosk/consents/").content.decode()
    assert "Notice of privacy practices" in page and "Financial policy" in page
    bad = tablet.post("/kiosk/consents/", {"signature": "Someone Else"})
    assert bad.status_code == 400
    assert not ConsentAcknowledgement.objects.exists() and not Visit.objects.exists()
    response = tablet.post(
        "/kiosk/consents/", {"signature": "zelda nunez-testwell", "has_read": "on"}
    )
    assert response.status_code == 302 and response["Location"] == "/kiosk/done/"
    consents = ConsentAcknowledgement.objects.filter(patient=patient_appt.patient)
    assert sorted(consents.values_list("kind", "method")) == [
        ("financial_policy", "electronic"),
        ("privacy_notice", "electronic"),
    ]
    assert {c.recorded_by_id for c in consents} == {device.service_user_id}
    visit = Visit.objects.get(appointment=patient_appt)
    assert visit.state == "arrived" and visit.arrived_at is not None
    patient_appt.refresh_from_db()
    assert patient_appt.status == "arrived"
    assert FlowEvent.objects.get(visit=visit).by_id == device.service_user_id
    event = AuditEvent.objects.filter(detail__event="self_checked_in").get()
    assert event.actor_name == "kiosk Lobby tablet"
    done = tablet.get("/kiosk/done/")
    assert "You are checked in" in done.content.decode()
    assert done["Cache-Control"] == "no-store"
    # The session holds nobody now: Back to the confirm page goes to the start screen.
    assert tablet.get("/kiosk/confirm/")["Location"] == "/kiosk/"
    # A second go is refused: already arrived.
    assert SEE_DESK in _find(tablet, "Nunez-Testwell", "1970-03-04").content.decode()


def test_desk_can_still_check_in_a_self_checked_in_patient(tablet, device, patient_appt, clerk):
    from frontdesk.visits.services import CheckInInput, visit_check_in

    _find(tablet, "Nunez-Testwell", "1970-03-04")
    tablet.post("/kiosk/consents/", {"signature": "Zelda Nunez-Testwell", "has_read": "on"})
    check_in = visit_check_in(
        actor=clerk,
        appointment=patient_appt,
        data=CheckInInput(
            identity_confirmed=True, identity_method="photo", insurance_confirmed=True
        ),
    )
    assert check_in.visit.state == "arrived"
    patient_appt.refresh_from_db()
    assert patient_appt.status == "checked-in"


def test_session_resets_after_two_minutes_idle(tablet, device, patient_appt):
    _find(tablet, "Nunez-Testwell", "1970-03-04")
    with time_machine.travel(NOW + dt.timedelta(seconds=90), tick=False):
        assert tablet.get("/kiosk/confirm/").status_code == 200
    with time_machine.travel(NOW + dt.timedelta(seconds=90 + 121), tick=False):
        response = tablet.get("/kiosk/confirm/")
        assert response.status_code == 302 and response["Location"] == "/kiosk/"
    assert not tablet.session.get("kiosk")


def test_start_over_clears_the_patient(tablet, device, patient_appt):
    _find(tablet, "Nunez-Testwell", "1970-03-04")
    assert tablet.post("/kiosk/reset/").status_code == 302
    assert tablet.get("/kiosk/confirm/")["Location"] == "/kiosk/"


def test_patient_without_consents_due_goes_straight_to_done(tablet, device, patient_appt):
    from frontdesk.chartprep.services import consent_acknowledge

    for kind in ("privacy_notice", "financial_policy"):
        consent_acknowledge(actor=device.service_user, patient=patient_appt.patient, kind=kind)
    _find(tablet, "Nunez-Testwell", "1970-03-04")
    response = tablet.get("/kiosk/consents/")
    assert response.status_code == 302 and response["Location"] == "/kiosk/done/"
    assert Visit.objects.get(appointment=patient_appt).state == "arrived"


def test_qr_view_for_staff(clerk, patient_appt):
    staff = Client()
    staff.force_login(clerk)
    page = staff.get(f"/kiosk/code/{patient_appt.pk}/").content.decode()
    assert kiosk_code(patient_appt) in page and "<svg" in page


def test_desk_list_shows_self_checked_in(tablet, device, patient_appt, clerk):
    _find(tablet, "Nunez-Testwell", "1970-03-04")
    tablet.post("/kiosk/consents/", {"signature": "Zelda Nunez-Testwell", "has_read": "on"})
    staff = Client()
    staff.force_login(clerk)
    page = staff.get(f"/front-desk/?location={patient_appt.location_id}").content.decode()
    assert "self checked in" in page
