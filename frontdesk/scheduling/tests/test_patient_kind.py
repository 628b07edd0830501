"""New vs established patient (CMS, 3 years, same specialty in the same practice): booking, rescheduling, search."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import ValidationFailed
from frontdesk.scheduling import slots
from frontdesk.scheduling.models import Appointment, AppointmentEvent
from frontdesk.scheduling.selectors import slot_search
from frontdesk.scheduling.services import appointment_reschedule
from frontdesk.scheduling.tests.conftest import monday
from tests.factories import (
    AppointmentFactory,
    AppointmentTypeFactory,
    AvailabilityTemplateFactory,
    LocationFactory,
    ProviderFactory,
)

pytestmark = pytest.mark.django_db

MSG_NOT_NEW = (
    "This patient was seen by this practice (same specialty) within the last 3 years: choose "
    "an established-patient type, or give a reason to override."
)
MSG_NOT_ESTABLISHED = (
    "This patient has not been seen by this practice (same specialty) within the last 3 years: "
    "choose a new-patient type, or give a reason to override."
)


@pytest.fixture
def new_type() -> Any:
    return AppointmentTypeFactory(name="New patient", code="new", patient_kind="new")


@pytest.fixture
def established_type() -> Any:
    return AppointmentTypeFactory(name="Established", code="est", patient_kind="established")


def visit(clinic: Any, *, years_ago: float = 1, status: str = "fulfilled", **fields: Any) -> Any:
    """A past visit of the clinic's patient (by default with the clinic's provider and location)."""
    starts_at = clinic.now - dt.timedelta(days=365 * years_ago)
    fields.setdefault("provider", clinic.provider)
    fields.setdefault("location", clinic.location)
    return AppointmentFactory(patient=clinic.patient, starts_at=starts_at, status=status, **fields)


def written() -> tuple[int, int, int]:
    return (
        Appointment.objects.filter(status="booked").count(),
        AppointmentEvent.objects.count(),
        AuditEvent.objects.filter(category="schedule").count(),
    )


def test_new_patient_type_is_refused_for_a_patient_seen_within_3_years(clinic, book, new_type):
    visit(clinic, years_ago=2.9)
    before = written()

    with pytest.raises(ValidationFailed) as caught:
        book(appointment_type=new_type)

    assert caught.value.code == "patient_not_new"
    assert caught.value.message == MSG_NOT_NEW
    assert caught.value.fields == {"appointment_type": [MSG_NOT_NEW]}
    assert written() == before


def test_established_type_is_refused_for_a_patient_never_seen(clinic, book, established_type):
    with pytest.raises(ValidationFailed) as caught:
        book(appointment_type=established_type)

    assert caught.value.code == "patient_not_established"
    assert caught.value.message == MSG_NOT_ESTABLISHED
    assert caught.value.fields == {"appointment_type": [MSG_NOT_ESTABLISHED]}
    assert written() == (0, 0, 0)


@pytest.mark.parametrize(
    ("description", "visit_fields", "established"),
    [
        ("seen 2 years ago", {"years_ago": 2}, True),
        ("arrived today", {"years_ago": 0, "status": "arrived"}, True),
        ("checked in", {"years_ago": 0.5, "status": "checked-in"}, True),
        ("seen more than 3 years ago", {"years_ago": 3.1}, False),
        (
            "cancelled visit",
            {"status": "cancelled", "cancellation_reason": "other", "cancelled_by": "patient"},
            False,
        ),
        ("no-show", {"status": "noshow"}, False),
        ("other specialty", {"other_specialty": True}, False),
        ("other practice", {"other_practice": True}, False),
    ],
)
def test_which_visits_make_a_patient_established(
    clinic, book, new_type, established_type, description, visit_fields, established
):
    fields = dict(visit_fields)
    if fields.pop("other_specialty", False):
        fields["provider"] = ProviderFactory(specialty="Cardiology")
    if fields.pop("other_practice", False):
        fields["location"] = LocationFactory()  # a location of another organization
        fields["provider"] = ProviderFactory()
    visit(clinic, **fields)

    fits, refused = (established_type, new_type) if established else (new_type, established_type)
    assert book(appointment_type=fits).appointment_type == fits
    with pytest.raises(ValidationFailed):
        book(appointment_type=refused, starts_at=monday(10))


def test_a_provider_without_a_specialty_matches_any_visit_in_the_practice(clinic, book, new_type):
    clinic.provider.specialty = ""
    clinic.provider.save()
    visit(clinic, provider=ProviderFactory(specialty="Dermatology"))

    with pytest.raises(ValidationFailed) as caught:
        book(appointment_type=new_type)
    assert caught.value.code == "patient_not_new"


def test_specialty_is_matched_without_case_or_spaces(clinic, book, new_type):
    visit(clinic, provider=ProviderFactory(specialty=" family medicine"))
    with pytest.raises(ValidationFailed):
        book(appointment_type=new_type)


def test_an_override_reason_books_and_is_recorded_in_the_history(clinic, book, new_type):
    visit(clinic)

    appointment = book(
        appointment_type=new_type,
        patient_kind_override_reason="  Returning after treatment elsewhere; provider asked.  ",
    )

    event = AppointmentEvent.objects.get(appointment=appointment)
    assert event.kind == "booked"
    assert event.detail == {
        "holds_consumed": 0,
        "is_overbook": False,
        "patient_kind_override": "patient_not_new",
        "patient_kind_override_reason": "Returning after treatment elsewhere; provider asked.",
    }
    audit = AuditEvent.objects.get(category="schedule")
    # The audit row carries the code, not the free text (audit details hold codes and ids only).
    assert audit.detail["patient_kind_override"] == "patient_not_new"
    assert "patient_kind_override_reason" not in audit.detail


def test_a_fitting_booking_records_no_override(clinic, book, new_type):
    appointment = book(appointment_type=new_type, patient_kind_override_reason="not needed")

    event = AppointmentEvent.objects.get(appointment=appointment)
    assert event.detail == {"holds_consumed": 0, "is_overbook": False}
    assert "patient_kind_override" not in AuditEvent.objects.get(category="schedule").detail


def test_reschedule_to_a_provider_of_another_specialty_checks_the_rule_again(
    clinic, book, established_type
):
    visit(clinic)
    appointment = book(appointment_type=established_type)
    cardiologist = ProviderFactory(specialty="Cardiology")
    cardiologist.locations.add(clinic.location)
    AvailabilityTemplateFactory(provider=cardiologist, location=clinic.location)
    before = written()

    with pytest.raises(ValidationFailed) as caught:
        appointment_reschedule(
            actor=clinic.clerk,
            appointment=appointment,
            starts_at=monday(10),
            provider=cardiologist,
        )
    assert caught.value.code == "patient_not_established"
    assert written() == before
    appointment.refresh_from_db()
    assert (appointment.provider_id, appointment.starts_at) == (clinic.provider.pk, monday(9))

    moved = appointment_reschedule(
        actor=clinic.clerk,
        appointment=appointment,
        starts_at=monday(10),
        provider=cardiologist,
        patient_kind_override_reason="Referred for a follow-up with cardiology.",
    )
    assert moved.provider_id == cardiologist.pk
    event = AppointmentEvent.objects.get(appointment=appointment, kind="rescheduled")
    assert event.detail["patient_kind_override"] == "patient_not_established"


def test_an_override_given_at_booking_carries_over_to_a_reschedule(clinic, book, new_type):
    visit(clinic)
    appointment = book(appointment_type=new_type, patient_kind_override_reason="Provider asked.")

    moved = appointment_reschedule(
        actor=clinic.clerk, appointment=appointment, starts_at=monday(10)
    )

    assert moved.starts_at == monday(10)
    event = AppointmentEvent.objects.get(appointment=appointment, kind="rescheduled")
    assert event.detail["patient_kind_override"] == "patient_not_new"
    assert event.detail["patient_kind_override_reason"] == "(as booked)"


def test_slot_search_offers_a_patient_only_the_providers_the_type_fits(
    clinic, new_type, established_type, django_assert_num_queries
):
    cardiologist = ProviderFactory(specialty="Cardiology")
    cardiologist.locations.add(clinic.location)
    AvailabilityTemplateFactory(provider=cardiologist, location=clinic.location)
    visit(clinic)  # established with family medicine, new to cardiology

    def providers(kind: Any, **kw: Any) -> set[int]:
        options = slot_search(
            user=clinic.clerk,
            appointment_type_id=kind.pk,
            start=monday(0),
            end=monday(0) + dt.timedelta(days=1),
            now=clinic.now,
            limit=20,
            **kw,
        )
        return {option.provider_id for option in options}

    assert providers(new_type, patient_id=clinic.patient.pk) == {cardiologist.pk}
    assert providers(established_type, patient_id=clinic.patient.pk) == {clinic.provider.pk}
    # Without a patient, every provider is offered.
    assert providers(new_type) == {clinic.provider.pk, cardiologist.pk}
    # The rule costs one query, only for new/established types.
    any_type = AppointmentTypeFactory(name="Any", code="any")
    with django_assert_num_queries(slots_queries := _count(providers, any_type, clinic)):
        providers(any_type, patient_id=clinic.patient.pk)
    with django_assert_num_queries(slots_queries + 1):
        providers(new_type, patient_id=clinic.patient.pk)


def _count(providers: Any, kind: Any, clinic: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        providers(kind, patient_id=clinic.patient.pk)
    return len(captured.captured_queries)


def test_patient_kind_refusal_codes():
    assert slots.patient_kind_refusal("new", established=True) == "patient_not_new"
    assert slots.patient_kind_refusal("new", established=False) is None
    assert slots.patient_kind_refusal("established", established=False) == (
        "patient_not_established"
    )
    assert slots.patient_kind_refusal("established", established=True) is None
    assert slots.patient_kind_refusal("any", established=True) is None
    assert slots.patient_kind_refusal("any", established=False) is None


def test_the_api_answers_400_with_the_code_and_books_with_an_override(clinic, new_type):
    from frontdesk.accounts.choices import Role
    from frontdesk.api.tests.support import key_client_for

    desk = key_client_for(Role.FRONT_DESK, clinic.location)
    visit(clinic)
    body = {
        "patient_id": str(clinic.patient.pk),
        "appointment_type_id": str(new_type.pk),
        "provider_id": str(clinic.provider.pk),
        "location_id": str(clinic.location.pk),
        "starts_at": "2026-12-07T09:00:00-05:00",
    }

    refused = desk.post("/api/v1/appointments", body)
    assert refused.status_code == 400
    assert refused.json() == {
        "code": "patient_not_new",
        "message": MSG_NOT_NEW,
        "fields": {"appointment_type": [MSG_NOT_NEW]},
    }
    assert not Appointment.objects.filter(status="booked").exists()

    booked = desk.post(
        "/api/v1/appointments", {**body, "patient_kind_override_reason": "Provider asked."}
    )
    assert booked.status_code == 201, booked.json()
    event = AppointmentEvent.objects.get(appointment_id=int(booked.json()["id"]))
    assert event.detail["patient_kind_override_reason"] == "Provider asked."
