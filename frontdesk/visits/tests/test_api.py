"""The front-desk JSON API: answers, refusals with nothing changed, the board.

The role matrix and out-of-scope 404s of every operation are in frontdesk/api/tests/test_matrix.py.
"""

from __future__ import annotations

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.visits import services
from frontdesk.visits.models import CheckIn, FlowEvent, Visit
from frontdesk.visits.tests.conftest import at

pytestmark = pytest.mark.django_db

CHECK_IN = {"identity_confirmed": True, "identity_method": "photo", "insurance_confirmed": True}


def test_check_in_move_and_read_the_board(day) -> None:
    appointment = day.book(at(9, 20))
    desk = key_client_for(Role.FRONT_DESK, day.location)

    checked = desk.post(f"/api/v1/appointments/{appointment.pk}/check-in", CHECK_IN)

    assert checked.status_code == 201
    body = checked.json()
    assert (body["appointment_status"], body["state"], body["copay_due"]) == (
        "checked-in",
        "arrived",
        "25.00",
    )
    moved = desk.post(
        f"/api/v1/appointments/{appointment.pk}/flow",
        {"state": "roomed", "room_id": str(day.room1.pk)},
    )
    assert moved.status_code == 200
    assert (moved.json()["state"], moved.json()["room_id"]) == ("roomed", str(day.room1.pk))

    board = desk.get(f"/api/v1/flow-board?location={day.location.pk}&date=2026-12-07")
    assert board.status_code == 200
    answer = board.json()
    assert answer["count"] == 1
    assert answer["items"][0]["state"] == "roomed"
    assert answer["rooms"] == [
        {
            "room_id": str(day.room1.pk),
            "name": "Exam 1",
            "appointment_id": str(appointment.pk),
            "since": "2026-12-07T14:00:00Z",
        },
        {"room_id": str(day.room2.pk), "name": "Exam 2", "appointment_id": None, "since": None},
    ]


def test_check_in_refusals_change_nothing(day) -> None:
    uninsured = day.book(at(9, 20), insured=False)
    desk = key_client_for(Role.FRONT_DESK, day.location)
    response = desk.post(f"/api/v1/appointments/{uninsured.pk}/check-in", CHECK_IN)
    assert response.status_code == 400
    assert response.json()["fields"] == {"override_reason": [services.MSG_NO_INSURANCE]}

    unknown_field = desk.post(
        f"/api/v1/appointments/{uninsured.pk}/check-in", {**CHECK_IN, "vip": True}
    )
    assert unknown_field.status_code == 422
    assert CheckIn.objects.count() == Visit.objects.count() == 0


def test_moving_back_without_reason_is_refused(day, clerk) -> None:
    appointment = day.book(at(9, 20))
    services.visit_check_in(
        actor=clerk,
        appointment=appointment,
        data=services.CheckInInput(identity_confirmed=True, identity_method="dob"),
    )
    nurse = key_client_for(Role.NURSE, day.location)
    url = f"/api/v1/appointments/{appointment.pk}/flow"
    assert nurse.post(url, {"state": "checkout"}).status_code == 200
    events = FlowEvent.objects.count()
    back = nurse.post(url, {"state": "arrived"})
    assert back.status_code == 400
    assert back.json() == {
        "code": "invalid",
        "message": services.MSG_REASON_BACKWARDS,
        "fields": {"reason": [services.MSG_REASON_BACKWARDS]},
    }
    assert (FlowEvent.objects.count(), Visit.objects.get().state) == (events, "checkout")
