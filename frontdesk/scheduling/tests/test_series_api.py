"""The series and linked-booking API: preview (nothing written), 201 with conflicts, 409 when nothing
could be booked, 400 on bad input, read with its audit row, cancel scopes, linked all-or-nothing.

The role matrix and out-of-scope 404s are in frontdesk/api/tests/test_matrix.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.audit.models import AuditEvent
from frontdesk.scheduling.models import Appointment, AppointmentSeries
from frontdesk.scheduling.series import series_book
from frontdesk.scheduling.tests.conftest import monday
from tests.factories import (
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    PatientFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db
CANCEL = {"reason": "patient_request", "cancelled_by": "patient"}


@pytest.fixture
def desk(clinic: Any) -> Any:
    return key_client_for(Role.FRONT_DESK, clinic.location)


def snapshot() -> dict[str, Any]:
    return {
        "appointments": list(Appointment.objects.order_by("pk").values()),
        "series": AppointmentSeries.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def body(clinic: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "patient_id": str(clinic.patient.pk),
        "appointment_type_id": str(clinic.type.pk),
        "provider_id": str(clinic.provider.pk),
        "location_id": str(clinic.location.pk),
        "first_start": "2026-12-07T09:00:00-05:00",
        "count": 3,
    }
    data.update(overrides)
    return data


@pytest.fixture
def taken(clinic: Any, book: Any) -> Any:
    return book(patient=PatientFactory(), starts_at=monday(9, day=14))


def test_preview_answers_every_date_and_writes_nothing(clinic, desk, taken):
    before = snapshot()
    response = desk.post("/api/v1/appointment-series", body(clinic, preview=True))
    assert response.status_code == 200
    assert response.json() == {
        "preview": True,
        "count": 3,
        "free": 2,
        "occurrences": [
            {"starts_at": "2026-12-07T14:00:00Z", "free": True, "code": None, "message": ""},
            {
                "starts_at": "2026-12-14T14:00:00Z",
                "free": False,
                "code": "slot_taken",
                "message": "That time was just taken; pick another.",
            },
            {"starts_at": "2026-12-21T14:00:00Z", "free": True, "code": None, "message": ""},
        ],
    }
    assert snapshot() == before


def test_book_answers_201_with_occurrences_and_conflicts(clinic, desk, taken):
    response = desk.post("/api/v1/appointment-series", body(clinic))
    assert response.status_code == 201, response.json()
    answer = response.json()
    found = AppointmentSeries.objects.get()
    assert answer["id"] == str(found.pk)
    assert (answer["interval_weeks"], answer["count"]) == (1, 3)
    assert [o["starts_at"] for o in answer["occurrences"]] == [
        "2026-12-07T14:00:00Z",
        "2026-12-21T14:00:00Z",
    ]
    assert answer["conflicts"] == [
        {
            "starts_at": "2026-12-14T14:00:00Z",
            "code": "slot_taken",
            "message": "That time was just taken; pick another.",
            "appointment_id": None,
        }
    ]
    assert Appointment.objects.filter(series=found).count() == 2


def test_all_or_nothing_with_a_conflict_answers_409_and_writes_nothing(clinic, desk, taken):
    before = snapshot()
    response = desk.post("/api/v1/appointment-series", body(clinic, all_or_nothing=True))
    assert response.status_code == 409
    assert response.json() == {
        "code": "series_not_booked",
        "message": "No date of the series was booked.",
        "fields": {"2026-12-14T14:00:00+00:00": ["That time was just taken; pick another."]},
    }
    assert snapshot() == before


def test_until_counts_the_dates(clinic, desk):
    response = desk.post(
        "/api/v1/appointment-series",
        body(clinic, count=None, until="2026-12-21", interval_weeks=2, preview=True),
    )
    assert [o["starts_at"] for o in response.json()["occurrences"]] == [
        "2026-12-07T14:00:00Z",
        "2026-12-21T14:00:00Z",
    ]


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        (
            {"count": None},
            {"count": ["Give either how many visits (count) or the last date (until)."]},
        ),
        (
            {"until": "2026-12-21"},
            {"count": ["Give either how many visits (count) or the last date (until)."]},
        ),
        ({"count": 53}, {"count": ["A series has between 1 and 52 occurrences."]}),
        ({"interval_weeks": 0}, {"interval_weeks": ["Repeat every 1 to 12 weeks."]}),
        (
            {"count": None, "until": "2026-12-01"},
            {"until": ["The last date cannot be before the first one."]},
        ),
    ],
)
def test_bad_input_answers_400_and_writes_nothing(clinic, desk, overrides, fields):
    before = snapshot()
    response = desk.post("/api/v1/appointment-series", body(clinic, **overrides))
    assert response.status_code == 400, response.json()
    assert response.json()["fields"] == fields
    assert snapshot() == before


@pytest.fixture
def weekly(clinic: Any) -> Any:
    return series_book(
        actor=clinic.clerk,
        patient=clinic.patient,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.type,
        first_start=monday(9),
        count=4,
    )


def test_read_answers_every_occurrence_and_writes_one_audit_row(desk, weekly):
    before = AuditEvent.objects.count()
    response = desk.get(f"/api/v1/appointment-series/{weekly.series.pk}")
    assert response.status_code == 200
    assert [o["id"] for o in response.json()["occurrences"]] == [str(a.pk) for a in weekly.booked]
    assert AuditEvent.objects.count() == before + 1
    row = AuditEvent.objects.order_by("-sequence").first()
    assert (row.action, row.object_type, row.patient_id) == (
        "read",
        "appointment_series",
        weekly.series.patient_id,
    )


@pytest.mark.parametrize(
    ("scope", "cancelled"),
    [("this", [1]), ("following", [1, 2, 3]), ("all", [0, 1, 2, 3])],
)
def test_cancel_scopes(desk, weekly, scope, cancelled):
    response = desk.post(
        f"/api/v1/appointment-series/{weekly.series.pk}/cancel",
        {"appointment_id": str(weekly.booked[1].pk), "scope": scope, **CANCEL},
    )
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert [a["id"] for a in answer["cancelled"]] == [str(weekly.booked[i].pk) for i in cancelled]
    assert answer["unchanged"] == []
    assert [Appointment.objects.get(pk=a.pk).status == "cancelled" for a in weekly.booked] == [
        i in cancelled for i in range(4)
    ]


def test_cancel_lists_the_occurrences_left_as_they_were(clinic, desk, weekly):
    from frontdesk.scheduling.services import appointment_cancel

    appointment_cancel(
        actor=clinic.clerk,
        appointment=weekly.booked[3],
        reason="patient_ill",
        cancelled_by="patient",
    )
    response = desk.post(
        f"/api/v1/appointment-series/{weekly.series.pk}/cancel",
        {"appointment_id": str(weekly.booked[2].pk), "scope": "following", **CANCEL},
    )
    answer = response.json()
    assert [a["id"] for a in answer["cancelled"]] == [str(weekly.booked[2].pk)]
    assert [(a["id"], a["status"]) for a in answer["unchanged"]] == [
        (str(weekly.booked[3].pk), "cancelled")
    ]


def test_cancel_with_an_appointment_of_another_series_is_400(clinic, desk, weekly, book):
    stranger = book(starts_at=monday(11))
    before = snapshot()
    response = desk.post(
        f"/api/v1/appointment-series/{weekly.series.pk}/cancel",
        {"appointment_id": str(stranger.pk), "scope": "all", **CANCEL},
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "appointment_id": ["That appointment is not an occurrence of this series."]
    }
    assert snapshot() == before


def test_cancel_with_a_bad_scope_is_422(desk, weekly):
    response = desk.post(
        f"/api/v1/appointment-series/{weekly.series.pk}/cancel",
        {"appointment_id": str(weekly.booked[0].pk), "scope": "some", **CANCEL},
    )
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["scope"]


# --- linked --------------------------------------------------------------------------------------------


@pytest.fixture
def lab(clinic: Any) -> Any:
    drawer = ProviderFactory()
    drawer.locations.add(clinic.location)
    AvailabilityTemplateFactory(
        provider=drawer, location=clinic.location, start_time=dt.time(8), end_time=dt.time(12)
    )
    kind = AppointmentTypeFactory(name="Lab draw", code="lab-draw", duration_minutes=15)
    return {
        "appointment_type_id": str(kind.pk),
        "provider_id": str(drawer.pk),
        "location_id": str(clinic.location.pk),
        "starts_at": "2026-12-07T08:45:00-05:00",
    }


def linked_body(clinic: Any, lab: dict[str, Any], **primary: Any) -> dict[str, Any]:
    return {
        "patient_id": str(clinic.patient.pk),
        "primary": {
            "appointment_type_id": str(clinic.type.pk),
            "provider_id": str(clinic.provider.pk),
            "location_id": str(clinic.location.pk),
            "starts_at": "2026-12-07T09:00:00-05:00",
            **primary,
        },
        "linked": lab,
    }


def test_linked_answers_201_with_both_in_one_group(clinic, desk, lab):
    response = desk.post("/api/v1/appointments/linked", linked_body(clinic, lab))
    assert response.status_code == 201, response.json()
    answer = response.json()
    rows = list(Appointment.objects.order_by("pk"))
    assert [a["id"] for a in answer["appointments"]] == [str(r.pk) for r in rows]
    assert {str(r.link_group) for r in rows} == {answer["link_group"]}
    assert [a["starts_at"] for a in answer["appointments"]] == [
        "2026-12-07T14:00:00Z",
        "2026-12-07T13:45:00Z",
    ]


def test_linked_part_taken_is_409_naming_it_and_writes_nothing(clinic, desk, lab, book):
    book(patient=PatientFactory())
    before = snapshot()
    response = desk.post("/api/v1/appointments/linked", linked_body(clinic, lab))
    assert response.status_code == 409
    assert response.json() == {
        "code": "linked_item_failed",
        "message": "The primary appointment: That time was just taken; pick another. "
        "Nothing was booked.",
        "fields": {"primary": ["That time was just taken; pick another."]},
    }
    assert snapshot() == before


def test_linked_second_part_failing_undoes_the_first(clinic, desk, lab):
    before = snapshot()
    lab["starts_at"] = "2026-12-07T07:00:00-05:00"  # before the lab opens
    response = desk.post("/api/v1/appointments/linked", linked_body(clinic, lab))
    assert response.status_code == 409
    assert response.json()["fields"] == {
        "linked": ["That time is outside the provider's availability at this location."]
    }
    assert snapshot() == before


def test_the_openapi_document_lists_the_series_operations(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    listed = {
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if "series" in path or path.endswith("/linked")
    }
    assert listed == {
        ("POST", "/api/v1/appointment-series"),
        ("GET", "/api/v1/appointment-series/{series_id}"),
        ("POST", "/api/v1/appointment-series/{series_id}/cancel"),
        ("POST", "/api/v1/appointments/linked"),
    }
    book_responses = paths["/api/v1/appointment-series"]["post"]["responses"]
    assert {"200", "201", "400", "409"} <= set(book_responses)
