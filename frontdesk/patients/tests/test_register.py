"""patient_register: validation, MRN and keys, phones, SSN, duplicate stop and override, audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import PermissionDenied, ValidationFailed
from frontdesk.patients.errors import PossibleDuplicates
from frontdesk.patients.models import DuplicateOverride, Patient, PatientPhone
from frontdesk.patients.services import patient_register

pytestmark = pytest.mark.django_db


def _data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "Zelda",
        "last_name": "Quibworth",
        "date_of_birth": dt.date(1975, 3, 14),
        "sex_at_birth": "F",
        "phones": [{"number": "(202) 555-0123", "phone_type": "mobile", "sms_capable": True}],
    }
    data.update(overrides)
    return data


def test_register_assigns_mrn_keys_phones_and_audits(clerk: Any) -> None:
    patient = patient_register(
        actor=clerk,
        data=_data(first_name=" Zélda ", last_name="O'Quib-Worth", email="Zelda.Q@Example.com"),
    )

    patient.refresh_from_db()
    assert patient.mrn == "M0000001"
    assert (patient.first_name, patient.last_name) == ("Zélda", "O'Quib-Worth")
    assert (patient.first_name_key, patient.last_name_key) == ("zelda", "oquibworth")
    assert patient.last_name_phonetic == "OKBWR0"
    assert patient.email == "zelda.q@example.com"
    phone = PatientPhone.objects.get(patient=patient)
    assert (phone.number, phone.digits, phone.digits_reversed) == (
        "+12025550123",
        "2025550123",
        "3210555202",
    )
    assert (phone.phone_type, phone.sms_capable, phone.rank) == ("mobile", True, 1)
    event = AuditEvent.objects.get()
    assert (event.action, event.category, event.patient_id, event.actor_id) == (
        "create",
        "demographics",
        patient.pk,
        clerk.pk,
    )
    assert event.detail == {"phones": 1, "duplicate_override": False}


def test_second_registration_gets_next_mrn(clerk: Any) -> None:
    first = patient_register(actor=clerk, data=_data())
    second = patient_register(
        actor=clerk, data=_data(first_name="Yorick", last_name="Tarkham", phones=[])
    )
    assert (first.mrn, second.mrn) == ("M0000001", "M0000002")


def test_ssn_is_encrypted_at_rest_and_last4_kept(clerk: Any) -> None:
    patient = patient_register(actor=clerk, data=_data(ssn="123-45-6789"))

    fresh = Patient.objects.get(pk=patient.pk)
    assert (fresh.ssn, fresh.ssn_last4, fresh.ssn_masked) == ("123456789", "6789", "***-**-6789")
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn FROM patients_patient WHERE id = %s", [patient.pk])
        stored = cursor.fetchone()[0]
    assert "123456789" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"first_name": "  "}, "first_name", "This field is required."),
        ({"last_name": ""}, "last_name", "This field is required."),
        ({"date_of_birth": None}, "date_of_birth", "This field is required."),
        (
            {"date_of_birth": timezone.localdate() + dt.timedelta(days=1)},
            "date_of_birth",
            "The date of birth cannot be in the future.",
        ),
        (
            {"date_of_birth": dt.date(1880, 1, 1)},
            "date_of_birth",
            "The date of birth is more than 130 years ago.",
        ),
        ({"ssn": "12345678"}, "ssn", "Enter the 9 digits of the Social Security number."),
        ({"ssn": "000-12-3456"}, "ssn", "That is not a valid Social Security number."),
        (
            {"email": "not-an-address"},
            "email",
            "Enter a valid e-mail address, e.g. name@example.com.",
        ),
        ({"sex_at_birth": "X"}, "sex_at_birth", "Choose one of the listed options."),
        ({"state": "Illinois"}, "state", "Use at most 2 characters."),
        (
            {"postal_code": "6270"},
            "postal_code",
            "Enter a ZIP code: 5 digits, or ZIP+4 like 62701-1234.",
        ),
        ({"first_name": "x" * 61}, "first_name", "Use at most 60 characters."),
        ({"mrn": "M9999999"}, "mrn", "This field cannot be set here."),
        ({"favourite_colour": "blue"}, "favourite_colour", "Unknown field."),
        (
            {"phones": [{"number": "555-01", "phone_type": "mobile", "sms_capable": False}]},
            "phones",
            "Phone 1: That phone number has the wrong number of digits.",
        ),
        (
            {"phones": [{"number": "call me", "phone_type": "mobile", "sms_capable": False}]},
            "phones",
            "Phone 1: Enter a phone number with its area code, e.g. (202) 555-0123.",
        ),
        (
            {"guarantor_kind": "person"},
            "guarantor_name",
            "Enter the guarantor's name.",
        ),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    clerk: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        patient_register(actor=clerk, data=_data(**overrides))

    assert caught.value.fields == {field: [message]}
    assert Patient.objects.count() == 0
    assert PatientPhone.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_several_bad_fields_are_reported_together(clerk: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        patient_register(actor=clerk, data=_data(first_name="", email="nope", ssn="1"))
    assert sorted(caught.value.fields) == ["email", "first_name", "ssn"]


def test_role_without_create_is_denied_and_nothing_written(make_user: Any, location: Any) -> None:
    nurse = make_user(Role.NURSE, location)
    with pytest.raises(PermissionDenied):
        patient_register(actor=nurse, data=_data())
    assert Patient.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_likely_duplicate_stops_registration(clerk: Any, register: Any) -> None:
    existing = register("Robert", "Quibworth", dt.date(1975, 3, 14))
    audit_rows = AuditEvent.objects.count()

    with pytest.raises(PossibleDuplicates) as caught:
        patient_register(actor=clerk, data=_data(first_name="Bob", phones=[]))

    assert caught.value.code == "possible_duplicates"
    assert caught.value.http_status == 409
    [candidate] = caught.value.candidates
    assert candidate.patient.pk == existing.pk
    assert candidate.score == 85
    assert candidate.reasons == [
        "same date of birth",
        "same last name",
        "first name Bob is a nickname of Robert",
    ]
    assert Patient.objects.count() == 1
    # Only the disclosure of the candidate shown is recorded; nothing was registered.
    assert list(
        AuditEvent.objects.filter(sequence__gt=audit_rows).values_list("action", "patient_id")
    ) == [("query", existing.pk)]


def test_registering_anyway_needs_and_records_a_reason(clerk: Any, register: Any) -> None:
    existing = register("Robert", "Quibworth", dt.date(1975, 3, 14))

    patient = patient_register(
        actor=clerk,
        data=_data(first_name="Bob", phones=[]),
        duplicate_override_reason="Twin brother, confirmed with ID",
    )

    override = DuplicateOverride.objects.get()
    assert override.patient_id == patient.pk
    assert override.reason == "Twin brother, confirmed with ID"
    assert override.candidate_ids == [existing.pk]
    assert override.decided_by_id == clerk.pk
    assert AuditEvent.objects.filter(action="create", patient_id=patient.pk).get().detail == {
        "phones": 0,
        "duplicate_override": True,
    }


def test_blank_override_reason_does_not_count(clerk: Any, register: Any) -> None:
    register("Zelda", "Quibworth", dt.date(1975, 3, 14))
    with pytest.raises(PossibleDuplicates):
        patient_register(actor=clerk, data=_data(), duplicate_override_reason="   ")
    assert Patient.objects.count() == 1


def test_weak_match_does_not_stop_registration(clerk: Any, register: Any) -> None:
    register("Zelda", "Quibworth", dt.date(1990, 7, 1))  # same name, unrelated DOB
    patient = patient_register(actor=clerk, data=_data())
    assert patient.pk is not None
    assert DuplicateOverride.objects.count() == 0
