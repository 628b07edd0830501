"""Undoing a kiosk arrival at the desk: the patient tapped in on the wrong appointment."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import Conflict, ValidationFailed
from frontdesk.scheduling.models import AppointmentEvent
from frontdesk.visits.models import CheckIn, FlowEvent, Visit
from frontdesk.visits.services import (
    CheckInInput,
    flow_move,
    visit_check_in,
    visit_check_in_undo,
)
from tests.factories import RoomFactory

pytestmark = pytest.mark.django_db


def _self_check_in(tablet: Client) -> None:
    tablet.post("/kiosk/", {"last_name": "Nunez-Testwell", "date_of_birth": "1970-03-04"})
    response = tablet.post(
        "/kiosk/consents/", {"signature": "Zelda Nunez-Testwell", "has_read": "on"}
    )
    assert response.status_code == 302 and response["Location"] == "/kiosk/done/"


def _staff(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_undo_a_kiosk_arrival_puts_the_patient_back_to_expected(
    tablet, device, patient_appt, clerk
):
    _self_check_in(tablet)
    visit = Visit.objects.get(appointment=patient_appt)
    assert (visit.state, patient_appt.__class__.objects.get(pk=patient_appt.pk).status) == (
        "arrived",
        "arrived",
    )
    with pytest.raises(ValidationFailed) as missing:
        visit_check_in_undo(actor=clerk, appointment=patient_appt, reason="  ")
    assert missing.value.fields == {"reason": ["Say why the check-in is being undone."]}

    undone = visit_check_in_undo(
        actor=clerk, appointment=patient_appt, reason="Tapped in on her son's appointment"
    )
    assert undone.state == "expected" and undone.arrived_at is None
    patient_appt.refresh_from_db()
    assert patient_appt.status == "booked"
    assert not CheckIn.objects.exists()
    moves = list(FlowEvent.objects.filter(visit=visit).values_list("from_state", "to_state", "by"))
    assert moves == [
        ("expected", "arrived", device.service_user_id),
        ("arrived", "expected", clerk.pk),
    ]
    back = FlowEvent.objects.filter(visit=visit).last()
    assert back.is_backward is True and back.reason == "Tapped in on her son's appointment"
    status_event = AppointmentEvent.objects.filter(appointment=patient_appt).last()
    assert (status_event.from_status, status_event.to_status, status_event.reason) == (
        "arrived",
        "booked",
        "Tapped in on her son's appointment",
    )
    audit = AuditEvent.objects.get(detail__event="self_check_in_undone")
    assert audit.actor_id == clerk.pk and audit.patient_id == patient_appt.patient_id
    assert audit.detail == {"event": "self_check_in_undone", "visit_id": visit.pk}

    # The desk now checks the patient in normally.
    check_in = visit_check_in(
        actor=clerk,
        appointment=patient_appt,
        data=CheckInInput(
            identity_confirmed=True, identity_method="photo", insurance_confirmed=True
        ),
    )
    assert check_in.visit.pk == visit.pk and check_in.visit.state == "arrived"
    patient_appt.refresh_from_db()
    assert patient_appt.status == "checked-in"


def test_undo_arrival_refused_once_roomed_or_never_arrived(
    tablet, device, patient_appt, clerk, location
):
    with pytest.raises(Conflict, match="Check the patient in first"):
        visit_check_in_undo(actor=clerk, appointment=patient_appt, reason="Oops")
    _self_check_in(tablet)
    flow_move(
        actor=clerk,
        appointment=patient_appt,
        to_state="roomed",
        room=RoomFactory(location=location, name="Exam 3"),
    )
    with pytest.raises(Conflict, match="still in the waiting room"):
        visit_check_in_undo(actor=clerk, appointment=patient_appt, reason="Oops")
    assert Visit.objects.get(appointment=patient_appt).state == "roomed"
    assert not AuditEvent.objects.filter(detail__event="self_check_in_undone").exists()


def test_undo_a_desk_check_in_after_a_kiosk_arrival_still_works(
    tablet, device, patient_appt, clerk
):
    _self_check_in(tablet)
    check_in = visit_check_in(
        actor=clerk,
        appointment=patient_appt,
        data=CheckInInput(identity_confirmed=True, identity_method="photo"),
    )
    visit_check_in_undo(actor=clerk, appointment=patient_appt, reason="Wrong twin")
    check_in.refresh_from_db()
    assert (check_in.undone_by, check_in.undo_reason) == (clerk, "Wrong twin")
    patient_appt.refresh_from_db()
    assert patient_appt.status == "booked"
    assert AuditEvent.objects.filter(detail__event="check_in_undone").count() == 1
    assert not AuditEvent.objects.filter(detail__event="self_check_in_undone").exists()


def test_check_in_list_offers_undo_arrival_for_kiosk_arrivals_only(
    tablet, device, patient_appt, clerk, book
):
    from .conftest import at

    other = book(at(11), last_name="Deskwalker", last_name_key="deskwalker")
    _self_check_in(tablet)
    staff = _staff(clerk)
    page = staff.get(f"/front-desk/?location={patient_appt.location_id}").content.decode()
    assert page.count("<summary>Undo arrival</summary>") == 1
    assert f'hx-post="/front-desk/appointments/{patient_appt.pk}/check-in/undo/"' in page
    assert f"/front-desk/appointments/{other.pk}/check-in/undo/" not in page
    assert f'id="undo-arrival-{patient_appt.pk}" name="reason"' in page

    panel = staff.get(f"/front-desk/appointments/{patient_appt.pk}/check-in/").content.decode()
    assert "Checked in at the kiosk. Wrong appointment?" in panel

    url = f"/front-desk/appointments/{patient_appt.pk}/check-in/undo/"
    refused = staff.post(url, {"reason": ""})
    assert refused.status_code == 422
    assert "Say why the check-in is being undone." in refused.content.decode()
    assert Visit.objects.get(appointment=patient_appt).state == "arrived"

    done = staff.post(url, {"reason": "Wrong appointment"})
    assert done.status_code == 200 and done["HX-Trigger"] == "flow-changed"
    assert "Kiosk arrival undone; the patient is expected again." in done.content.decode()
    assert Visit.objects.get(appointment=patient_appt).state == "expected"
    page = staff.get(f"/front-desk/?location={patient_appt.location_id}").content.decode()
    assert "<summary>Undo arrival</summary>" not in page
    assert "self checked in" not in page


def test_flow_card_names_the_kiosk_arrival(tablet, device, patient_appt, clerk):
    _self_check_in(tablet)
    card = _staff(clerk).get(f"/front-desk/appointments/{patient_appt.pk}/flow/").content.decode()
    assert "Undo arrival (checked in at the kiosk): reason" in card
