"""The scheduling JSON API: answers, 409 slot_taken, validation, the day list and its audit row.

The role matrix and out-of-scope 404s of every operation are in frontdesk/api/tests/test_matrix.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.audit.models import AuditEvent
from frontdesk.scheduling.models import Appointment, SlotHold
from frontdesk.scheduling.tests.conftest import monday
from tests.factories import LocationFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(clinic: Any) -> Any:
    return key_client_for(Role.FRONT_DESK, clinic.location)


def _body(clinic: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "patient_id": str(clinic.patient.pk),
        "appointment_type_id": str(clinic.type.pk),
        "provider_id": str(clinic.provider.pk),
        "location_id": str(clinic.location.pk),
        "starts_at": "2026-12-07T09:00:00-05:00",
    }
    body.update(overrides)
    return body


def test_book_answers_201_with_the_appointment(clinic, desk):
    response = desk.post("/api/v1/appointments", _body(clinic))
    assert response.status_code == 201, response.json()
    row = Appointment.objects.get()
    answer = response.json()
    assert answer["id"] == str(row.pk)
    assert answer["starts_at"] == "2026-12-07T14:00:00Z"
    assert answer["ends_at"] == "2026-12-07T14:20:00Z"
    assert (answer["status"], answer["patient_id"], answer["room_id"]) == (
        "booked",
        str(clinic.patient.pk),
        None,
    )
    assert row.booked_by == desk.user


def test_a_taken_slot_answers_409_slot_taken(clinic, desk, book):
    book()
    response = desk.post("/api/v1/appointments", _body(clinic, patient_id=str(PatientFactory().pk)))
    assert response.status_code == 409
    assert response.json() == {
        "code": "slot_taken",
        "message": "That time was just taken; pick another.",
        "fields": {},
    }
    assert Appointment.objects.count() == 1


def test_the_same_idempotency_key_answers_the_first_booking(clinic, desk):
    first = desk.post("/api/v1/appointments", _body(clinic, idempotency_key="k-1"))
    second = desk.post("/api/v1/appointments", _body(clinic, idempotency_key="k-1"))
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"starts_at": "2026-12-07T09:00:00"}, {"starts_at": ["Input should have timezone info."]}),
        ({"starts_at": "2026-12-07T08:00:00-05:00"}, None),
        ({"patient_id": "abc"}, None),
    ],
)
def test_bad_bookings_answer_4xx_and_write_nothing(clinic, desk, overrides, fields):
    before = AuditEvent.objects.count()
    response = desk.post("/api/v1/appointments", _body(clinic, **overrides))
    assert response.status_code in (400, 422)
    if fields is not None:
        assert response.json()["fields"] == fields
    assert Appointment.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_outside_availability_names_the_field(clinic, desk):
    response = desk.post(
        "/api/v1/appointments", _body(clinic, starts_at="2026-12-07T08:00:00-05:00")
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "That time is outside the provider's availability at this location.",
        "fields": {
            "starts_at": ["That time is outside the provider's availability at this location."]
        },
    }


def test_a_location_out_of_scope_is_404(clinic, desk):
    elsewhere = LocationFactory()
    response = desk.post("/api/v1/appointments", _body(clinic, location_id=str(elsewhere.pk)))
    assert response.status_code == 404
    assert Appointment.objects.count() == 0


def test_the_day_list_is_scoped_ordered_and_audited(clinic, desk, book):
    late = book(starts_at=monday(11))
    early = book(patient=PatientFactory(), starts_at=monday(9))
    book(patient=PatientFactory(), starts_at=monday(9, day=14))  # next week: not listed
    before = AuditEvent.objects.count()
    response = desk.get(
        "/api/v1/appointments", {"location": clinic.location.pk, "date": "2026-12-07"}
    )
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [str(early.pk), str(late.pk)]
    assert response.json()["count"] == 2
    assert AuditEvent.objects.count() == before + 1
    row = AuditEvent.objects.order_by("-sequence").first()
    assert (row.action, row.category, row.patient_id, row.detail) == (
        "query",
        "schedule",
        None,
        {"location_id": clinic.location.pk, "date": "2026-12-07", "results": 2},
    )
    other = LocationFactory()
    response = desk.get("/api/v1/appointments", {"location": other.pk, "date": "2026-12-07"})
    assert response.status_code == 404


def test_cancel_and_reschedule_through_the_api(clinic, desk, book):
    appointment = book()
    moved = desk.post(
        f"/api/v1/appointments/{appointment.pk}/reschedule",
        {"starts_at": "2026-12-07T10:00:00-05:00"},
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["starts_at"] == "2026-12-07T15:00:00Z"
    bad = desk.post(
        f"/api/v1/appointments/{appointment.pk}/cancel",
        {"reason": "felt like it", "cancelled_by": "patient"},
    )
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"reason"}
    cancelled = desk.post(
        f"/api/v1/appointments/{appointment.pk}/cancel",
        {"reason": "patient_request", "cancelled_by": "patient"},
    )
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancelled_by"]) == (
        "cancelled",
        "patient",
    )


def test_hold_then_book_with_it(clinic, desk):
    held = desk.post(
        "/api/v1/holds",
        {
            "appointment_type_id": str(clinic.type.pk),
            "provider_id": str(clinic.provider.pk),
            "location_id": str(clinic.location.pk),
            "starts_at": "2026-12-07T09:00:00-05:00",
        },
    )
    assert held.status_code == 201, held.json()
    assert held.json()["expires_at"] == "2026-12-01T12:05:00Z"
    other = key_client_for(Role.SCHEDULER, clinic.location)
    taken = other.post("/api/v1/appointments", _body(clinic))
    assert (taken.status_code, taken.json()["code"]) == (409, "slot_taken")
    booked = desk.post("/api/v1/appointments", _body(clinic, hold_id=held.json()["id"]))
    assert booked.status_code == 201
    assert SlotHold.objects.get().released_at == dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
