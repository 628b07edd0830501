# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr"
# (factory_boy's metaclass __call__ is untyped: mypy sees factory instances, not model rows.)
"""The patient and coverage JSON API: exact answers, minimum necessary, audit rows, bad input."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from frontdesk.accounts.choices import Role
from frontdesk.accounts.policy import POLICY
from frontdesk.api.tests.support import key_client_for
from frontdesk.audit.models import AuditEvent, FieldChange
from frontdesk.patients.models import Coverage, DuplicateOverride, Patient, PatientPhone
from tests.factories import CoverageFactory, PatientFactory, PayerFactory, PlanFactory

pytestmark = pytest.mark.django_db

PATIENT_FIELDS = {
    "id", "mrn", "prefix", "first_name", "middle_name", "last_name", "suffix", "preferred_name",
    "previous_last_name", "date_of_birth", "sex_at_birth", "gender_identity", "pronouns",
    "ssn_masked", "email", "phones", "address_line1", "address_line2", "city", "state",
    "postal_code", "country", "preferred_language", "interpreter_needed", "sms_consent_at",
    "email_consent_at", "voice_consent_at", "emergency_contact_name",
    "emergency_contact_relationship", "emergency_contact_phone", "guarantor_kind",
    "guarantor_patient_id", "guarantor_name", "guarantor_relationship", "guarantor_phone",
    "guarantor_address", "employer_name", "employer_phone", "is_active", "deceased_on",
    "created_at", "updated_at",
}  # fmt: skip
SSN_ROLES = sorted(role for role, actions in POLICY.items() if "patient.view_ssn" in actions)
VIEW_ROLES = sorted(role for role, actions in POLICY.items() if "patient.view" in actions)


def _patient(**fields):
    defaults = {
        "first_name": "Robertina",
        "last_name": "Zzexample",
        "date_of_birth": dt.date(1961, 2, 3),
        "ssn": "123456789",
        "ssn_last4": "6789",
        "email": "robertina@example.com",
        "city": "Springfield",
        "state": "IL",
    }
    defaults.update(fields)
    patient = PatientFactory(**defaults)
    PatientPhone.objects.create(
        patient=patient, number="+12025550111", digits="2025550111", sms_capable=True
    )
    return patient


def _new_audit(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(sequence__gt=before).order_by("sequence"))


def _last_sequence() -> int:
    event = AuditEvent.objects.order_by("-sequence").first()
    return event.sequence if event else 0


# --- read ------------------------------------------------------------------------------------------


def test_get_patient_answers_the_exact_record() -> None:
    caller = key_client_for(Role.FRONT_DESK, name="Kiosk")
    patient = _patient(preferred_name="Bobbie", gender_identity="446141000124107")
    response = caller.get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": str(patient.pk),
        "mrn": patient.mrn,
        "prefix": "",
        "first_name": "Robertina",
        "middle_name": "",
        "last_name": "Zzexample",
        "suffix": "",
        "preferred_name": "Bobbie",
        "previous_last_name": "",
        "date_of_birth": "1961-02-03",
        "sex_at_birth": "F",
        "gender_identity": "446141000124107",
        "pronouns": "",
        "ssn_masked": "***-**-6789",
        "email": "robertina@example.com",
        "phones": [
            {"number": "+12025550111", "phone_type": "mobile", "sms_capable": True, "rank": 1}
        ],
        "address_line1": "",
        "address_line2": "",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "",
        "country": "US",
        "preferred_language": "en",
        "interpreter_needed": False,
        "sms_consent_at": None,
        "email_consent_at": None,
        "voice_consent_at": None,
        "emergency_contact_name": "",
        "emergency_contact_relationship": "",
        "emergency_contact_phone": "",
        "guarantor_kind": "self",
        "guarantor_patient_id": None,
        "guarantor_name": "",
        "guarantor_relationship": "",
        "guarantor_phone": "",
        "guarantor_address": "",
        "employer_name": "",
        "employer_phone": "",
        "is_active": True,
        "deceased_on": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    # Times are UTC, to the millisecond.
    assert body["created_at"] == patient.created_at.isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


@pytest.mark.parametrize("role", VIEW_ROLES)
def test_ssn_is_masked_except_for_roles_allowed_to_see_it(role) -> None:
    caller = key_client_for(role)
    patient = _patient()
    response = caller.get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == 200
    body = response.json()
    if role in SSN_ROLES:
        assert set(body) == PATIENT_FIELDS | {"ssn"}
        assert body["ssn"] == "123-45-6789"
    else:
        assert set(body) == PATIENT_FIELDS
        assert b"123456789" not in response.content
        assert b"123-45-6789" not in response.content
    assert body["ssn_masked"] == "***-**-6789"


def test_the_ssn_field_sets_per_role_are_what_policy_says() -> None:
    # Pin the table itself: a role gaining the full SSN must be a deliberate, reviewed change.
    assert SSN_ROLES == [Role.BILLING]


def test_get_patient_writes_one_read_row_naming_the_key() -> None:
    caller = key_client_for(Role.FRONT_DESK, name="Kiosk")
    patient = _patient()
    before = _last_sequence()
    caller.get(f"/api/v1/patients/{patient.pk}")
    [event] = _new_audit(before)
    assert (event.action, event.category, event.outcome) == ("read", "demographics", "success")
    assert (event.actor_id, event.actor_name, event.actor_role) == (
        caller.user.pk,
        "API key: Kiosk",
        Role.FRONT_DESK,
    )
    assert (event.patient_id, event.object_type, event.object_id) == (
        patient.pk,
        "patient",
        str(patient.pk),
    )
    assert event.source_ip == "127.0.0.1"
    assert event.request_id != ""


def test_unknown_patient_is_404_and_not_audited() -> None:
    caller = key_client_for(Role.FRONT_DESK)
    before = _last_sequence()
    response = caller.get("/api/v1/patients/987654")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}
    assert _new_audit(before) == []


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "99999999999999999999999", "1.5"])
def test_bad_ids_in_the_path_are_422(bad) -> None:
    caller = key_client_for(Role.FRONT_DESK)
    response = caller.get(f"/api/v1/patients/{bad}")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["patient_id"]


def test_merged_patient_answers_410_with_the_survivor() -> None:
    caller = key_client_for(Role.FRONT_DESK)
    survivor = _patient()
    merged = _patient(first_name="Roberta", merged_into=survivor, is_active=False)
    response = caller.get(f"/api/v1/patients/{merged.pk}")
    assert response.status_code == 410
    assert response.json() == {
        "code": "patient_merged",
        "message": "This record was merged into another patient.",
        "fields": {},
        "survivor_id": str(survivor.pk),
    }


# --- search ----------------------------------------------------------------------------------------


def test_search_answers_items_and_count_and_one_query_row() -> None:
    caller = key_client_for(Role.SCHEDULER, name="Call centre")
    patient = _patient()
    PatientFactory(first_name="Other", last_name="Yyperson")
    before = _last_sequence()
    response = caller.get("/api/v1/patients", {"q": "zzexample robertina"})
    assert response.status_code == 200
    assert response.json() == {
        "items": [
            {
                "id": str(patient.pk),
                "mrn": patient.mrn,
                "first_name": "Robertina",
                "middle_name": "",
                "last_name": "Zzexample",
                "preferred_name": "",
                "date_of_birth": "1961-02-03",
                "sex_at_birth": "F",
                "matched_on": "name",
            }
        ],
        "count": 1,
    }
    [event] = _new_audit(before)
    assert (event.action, event.category, event.actor_name) == (
        "query",
        "demographics",
        "API key: Call centre",
    )
    assert event.detail == {"kind": "name", "results": 1}
    assert "zzexample" not in json.dumps(event.detail).lower()


def test_search_never_shows_the_ssn_even_to_billing() -> None:
    caller = key_client_for(Role.BILLING)
    _patient()
    response = caller.get("/api/v1/patients", {"q": "zzexample"})
    assert response.json()["count"] == 1
    assert b"6789" not in response.content


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": ""}, "q"), ({"q": "x" * 201}, "q"), ({"q": "a\x00b"}, "q"),
     ({"q": "smith", "limit": "0"}, "limit"), ({"q": "smith", "limit": "101"}, "limit")],
)  # fmt: skip
def test_search_refuses_bad_parameters_with_422(params, field) -> None:
    caller = key_client_for(Role.FRONT_DESK)
    before = _last_sequence()
    response = caller.get("/api/v1/patients", params)
    assert response.status_code == 422
    assert list(response.json()["fields"]) == [field]
    assert _new_audit(before) == []


def test_search_runs_a_constant_number_of_queries() -> None:
    caller = key_client_for(Role.FRONT_DESK)
    _patient()
    caller.get("/api/v1/patients", {"q": "zzexample"})  # warm up (first-use lookups)
    with CaptureQueriesContext(connection) as one:
        assert caller.get("/api/v1/patients", {"q": "zzexample"}).json()["count"] == 1
    for number in range(6):
        _patient(first_name=f"Robertin{chr(97 + number)}")
    with CaptureQueriesContext(connection) as seven:
        assert caller.get("/api/v1/patients", {"q": "zzexample"}).json()["count"] == 7
    # Search stops trying slower strategies once it has enough hits, so more results may take fewer
    # queries; one query per row (N+1) would make it take more.
    assert len(seven) <= len(one)


# --- create ----------------------------------------------------------------------------------------

REGISTRATION = {
    "first_name": "Quintessa",
    "last_name": "Yyexample",
    "date_of_birth": "1971-03-04",
    "sex_at_birth": "F",
    "ssn": "234-56-4321",
    "email": "quintessa@example.com",
    "phones": [{"number": "(202) 555-0177", "phone_type": "home", "sms_capable": False}],
    "preferred_language": "es",
    "interpreter_needed": True,
    "sms_consent_at": "2026-11-01",
}


def test_create_registers_the_patient_and_answers_201() -> None:
    caller = key_client_for(Role.FRONT_DESK, name="Portal")
    before = _last_sequence()
    response = caller.post("/api/v1/patients", REGISTRATION)
    assert response.status_code == 201, response.json()
    body = response.json()
    patient = Patient.objects.get()
    assert body["id"] == str(patient.pk)
    assert body["mrn"] == patient.mrn != ""
    assert set(body) == PATIENT_FIELDS
    assert (body["first_name"], body["last_name"], body["date_of_birth"]) == (
        "Quintessa",
        "Yyexample",
        "1971-03-04",
    )
    assert body["ssn_masked"] == "***-**-4321"
    assert body["phones"] == [
        {"number": "+12025550177", "phone_type": "home", "sms_capable": False, "rank": 1}
    ]
    assert (body["preferred_language"], body["interpreter_needed"], body["sms_consent_at"]) == (
        "es",
        True,
        "2026-11-01",
    )
    assert patient.ssn_last4 == "4321"
    [event] = _new_audit(before)
    assert (event.action, event.category, event.patient_id, event.actor_name) == (
        "create",
        "demographics",
        patient.pk,
        "API key: Portal",
    )


def test_create_answers_409_with_candidates_then_accepts_a_reason() -> None:
    caller = key_client_for(Role.FRONT_DESK)
    # No SSN on file: a different SSN would argue against a match (twins).
    existing = _patient(
        first_name="Quintessa",
        last_name="Yyexample",
        date_of_birth=dt.date(1971, 3, 4),
        ssn="",
        ssn_last4="",
    )
    before = _last_sequence()
    response = caller.post("/api/v1/patients", REGISTRATION)
    assert response.status_code == 409
    body = response.json()
    assert set(body) == {"code", "message", "fields", "candidates"}
    assert (body["code"], body["fields"]) == ("possible_duplicates", {})
    assert [candidate["id"] for candidate in body["candidates"]] == [str(existing.pk)]
    [candidate] = body["candidates"]
    assert set(candidate) == {"id", "score", "reasons"}
    assert isinstance(candidate["score"], int) and 0 <= candidate["score"] <= 100
    assert "same date of birth" in candidate["reasons"]
    assert Patient.objects.count() == 1
    # The candidate shown is a recorded disclosure of that chart (nothing else is written).
    assert [(e.action, e.patient_id) for e in _new_audit(before)] == [("query", existing.pk)]

    response = caller.post(
        "/api/v1/patients",
        {**REGISTRATION, "duplicate_override_reason": "Twin sister, confirmed with ID."},
    )
    assert response.status_code == 201
    created = Patient.objects.get(pk=int(response.json()["id"]))
    override = DuplicateOverride.objects.get(patient=created)
    assert override.reason == "Twin sister, confirmed with ID."
    assert override.candidate_ids == [existing.pk]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"first_name", "last_name", "date_of_birth"}),
        ({**REGISTRATION, "first_name": ""}, {"first_name"}),
        ({**REGISTRATION, "first_name": "x" * 61}, {"first_name"}),
        ({**REGISTRATION, "first_name": "Ann\x00"}, {"first_name"}),
        ({**REGISTRATION, "last_name": "Line\nbreak"}, {"last_name"}),
        ({**REGISTRATION, "date_of_birth": "1990-13-45"}, {"date_of_birth"}),
        ({**REGISTRATION, "date_of_birth": "0001-01-01"}, {"date_of_birth"}),
        ({**REGISTRATION, "sex_at_birth": "X"}, {"sex_at_birth"}),
        ({**REGISTRATION, "interpreter_needed": "maybe"}, {"interpreter_needed"}),
        ({**REGISTRATION, "phones": "202-555-0100"}, {"phones"}),
        ({**REGISTRATION, "phones": [{"number": ""}]}, {"phones.0.number"}),
        ({**REGISTRATION, "guarantor_patient_id": "abc"}, {"guarantor_patient_id"}),
        ({**REGISTRATION, "mrn": "M123"}, {"mrn"}),
        ({**REGISTRATION, "is_restricted": True}, {"is_restricted"}),
    ],
)
def test_create_refuses_malformed_bodies_with_422(body, fields) -> None:
    caller = key_client_for(Role.FRONT_DESK)
    before = _last_sequence()
    response = caller.post("/api/v1/patients", body)
    assert response.status_code == 422, response.json()
    answer = response.json()
    assert answer["code"] == "invalid"
    assert set(answer["fields"]) == fields
    assert all(answer["fields"][field] for field in fields)
    assert Patient.objects.count() == 0
    assert _new_audit(before) == []


def test_messages_name_the_problem_without_echoing_the_input() -> None:
    caller = key_client_for(Role.FRONT_DESK)
    response = caller.post("/api/v1/patients", {**REGISTRATION, "first_name": "", "mrn": "x"})
    assert response.json()["fields"] == {
        "first_name": ["String should have at least 1 character."],
        "mrn": ["This field is not allowed here."],
    }
    response = caller.post("/api/v1/patients", {"last_name": "Zz", "date_of_birth": "1990-01-01"})
    assert response.json()["fields"] == {"first_name": ["This field is required."]}
    response = caller.post(
        "/api/v1/patients",
        {**REGISTRATION, "guarantor_kind": "patient", "guarantor_patient_id": "12a"},
    )
    assert response.json()["fields"] == {
        "guarantor_patient_id": ['Must be an id: a whole number written as a string, e.g. "42".']
    }
    response = caller.post("/api/v1/patients", {**REGISTRATION, "sex_at_birth": "X"})
    assert response.json()["fields"] == {"sex_at_birth": ["Input should be 'F', 'M' or 'UNK'."]}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**REGISTRATION, "date_of_birth": "2199-01-01"}, {"date_of_birth"}),
        ({**REGISTRATION, "email": "not-an-email"}, {"email"}),
        ({**REGISTRATION, "ssn": "12345"}, {"ssn"}),
        ({**REGISTRATION, "phones": [{"number": "12"}]}, {"phones"}),
        ({**REGISTRATION, "guarantor_kind": "person"}, {"guarantor_name"}),
        ({**REGISTRATION, "guarantor_patient_id": "987654", "guarantor_kind": "patient"},
         {"guarantor_patient_id"}),
    ],
)  # fmt: skip
def test_create_refuses_invalid_values_with_400_per_field(body, fields) -> None:
    caller = key_client_for(Role.FRONT_DESK)
    before = _last_sequence()
    response = caller.post("/api/v1/patients", body)
    assert response.status_code == 400, response.json()
    answer = response.json()
    assert answer["code"] == "invalid"
    assert set(answer["fields"]) == fields
    assert Patient.objects.count() == 0
    assert _new_audit(before) == []


def test_a_restricted_guarantor_is_not_found() -> None:
    caller = key_client_for(Role.FRONT_DESK)
    hidden = _patient(first_name="Hidden", is_restricted=True)
    response = caller.post(
        "/api/v1/patients",
        {**REGISTRATION, "guarantor_kind": "patient", "guarantor_patient_id": str(hidden.pk)},
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"guarantor_patient_id": ["No such record."]}


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{not json", 400, "bad_request"),
        (b"[]", 422, "invalid"),
        (b'"text"', 422, "invalid"),
        (b"null", 422, "invalid"),
        (b"\xff\xfe", 400, "bad_request"),
    ],
)
def test_unparseable_bodies_are_4xx(raw, status, code) -> None:
    caller = key_client_for(Role.FRONT_DESK)
    response = caller.post("/api/v1/patients", raw)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert Patient.objects.count() == 0


# --- update ----------------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent_and_records_history() -> None:
    caller = key_client_for(Role.FRONT_DESK, name="Portal")
    patient = _patient()
    before = _last_sequence()
    response = caller.patch(
        f"/api/v1/patients/{patient.pk}", {"preferred_name": "Bobbie", "city": "Shelbyville"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["preferred_name"], body["city"], body["email"]) == (
        "Bobbie",
        "Shelbyville",
        "robertina@example.com",
    )
    patient.refresh_from_db()
    assert (patient.preferred_name, patient.city, patient.email) == (
        "Bobbie",
        "Shelbyville",
        "robertina@example.com",
    )
    [event] = _new_audit(before)
    assert (event.action, event.category, event.patient_id, event.actor_name) == (
        "update",
        "demographics",
        patient.pk,
        "API key: Portal",
    )
    assert sorted(
        FieldChange.objects.filter(audit_event=event).values_list("field", "old_value", "new_value")
    ) == [("city", "Springfield", "Shelbyville"), ("preferred_name", "", "Bobbie")]


def test_patch_replaces_phones_when_sent() -> None:
    caller = key_client_for(Role.FRONT_DESK)
    patient = _patient()
    response = caller.patch(
        f"/api/v1/patients/{patient.pk}",
        {"phones": [{"number": "202-555-0199", "phone_type": "work"}]},
    )
    assert response.status_code == 200
    assert response.json()["phones"] == [
        {"number": "+12025550199", "phone_type": "work", "sms_capable": False, "rank": 1}
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": None}, "first_name"),
        ({"first_name": ""}, "first_name"),
        ({"date_of_birth": None}, "date_of_birth"),
        ({"phones": None}, "phones"),
        ({"mrn": "M1"}, "mrn"),
        ({"email": 5}, "email"),
    ],
)
def test_patch_refuses_nulls_and_unknown_fields_with_422(body, field) -> None:
    caller = key_client_for(Role.FRONT_DESK)
    patient = _patient()
    before_row = Patient.objects.filter(pk=patient.pk).values().get()
    before = _last_sequence()
    response = caller.patch(f"/api/v1/patients/{patient.pk}", body)
    assert response.status_code == 422
    assert list(response.json()["fields"]) == [field]
    assert Patient.objects.filter(pk=patient.pk).values().get() == before_row
    assert _new_audit(before) == []


def test_patch_with_a_service_rule_broken_changes_nothing() -> None:
    caller = key_client_for(Role.FRONT_DESK)
    patient = _patient()
    before_row = Patient.objects.filter(pk=patient.pk).values().get()
    response = caller.patch(
        f"/api/v1/patients/{patient.pk}", {"city": "Ogdenville", "date_of_birth": "2199-01-01"}
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["date_of_birth"]
    assert Patient.objects.filter(pk=patient.pk).values().get() == before_row


def test_patch_of_a_merged_patient_is_410() -> None:
    caller = key_client_for(Role.FRONT_DESK)
    survivor = _patient()
    merged = _patient(first_name="Roberta", merged_into=survivor, is_active=False)
    response = caller.patch(f"/api/v1/patients/{merged.pk}", {"city": "Ogdenville"})
    assert response.status_code == 410
    assert response.json()["survivor_id"] == str(survivor.pk)


# --- coverages -------------------------------------------------------------------------------------


def _utc_ms(value: dt.datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _coverage_json(coverage: Coverage) -> dict:
    return {
        "id": str(coverage.pk),
        "patient_id": str(coverage.patient_id),
        "priority": coverage.priority,
        "status": coverage.status,
        "payer_id": str(coverage.payer_id),
        "payer_name": coverage.payer.name,
        "plan_id": str(coverage.plan_id) if coverage.plan_id else None,
        "plan_name": coverage.plan.name if coverage.plan else "",
        "member_id": coverage.member_id,
        "group_number": coverage.group_number,
        "relationship": coverage.relationship,
        "subscriber_patient_id": None,
        "subscriber_first_name": coverage.subscriber_first_name,
        "subscriber_last_name": coverage.subscriber_last_name,
        "subscriber_date_of_birth": None,
        "subscriber_sex": coverage.subscriber_sex,
        "effective_on": coverage.effective_on.isoformat() if coverage.effective_on else None,
        "terminates_on": None,
        "copay_primary_care": (
            str(coverage.copay_primary_care) if coverage.copay_primary_care is not None else None
        ),
        "copay_specialist": None,
        "copay_urgent_care": None,
        "copay_emergency": None,
        "has_card_front": False,
        "has_card_back": False,
        "created_at": _utc_ms(coverage.created_at),
        "updated_at": _utc_ms(coverage.updated_at),
    }


def test_coverage_list_and_get_answer_exact_json_and_audit_insurance_reads() -> None:
    caller = key_client_for(Role.FRONT_DESK, name="Eligibility bot")
    patient = _patient()
    plan = PlanFactory()
    primary = CoverageFactory(
        patient=patient, payer=plan.payer, plan=plan, group_number="G-1",
        copay_primary_care=Decimal("25.00"),
    )  # fmt: skip
    secondary = CoverageFactory(patient=patient, priority=2)
    CoverageFactory()  # someone else's
    before = _last_sequence()

    listing = caller.get(f"/api/v1/patients/{patient.pk}/coverages")
    assert listing.status_code == 200
    assert listing.json() == {
        "items": [_coverage_json(primary), _coverage_json(secondary)],
        "count": 2,
    }
    assert listing.json()["items"][0]["copay_primary_care"] == "25.00"

    single = caller.get(f"/api/v1/coverages/{primary.pk}")
    assert single.json() == _coverage_json(primary)

    events = _new_audit(before)
    assert [
        (e.action, e.category, e.patient_id, e.object_type, e.object_id, e.actor_name)
        for e in events
    ] == [
        ("read", "insurance", patient.pk, "coverage", "", "API key: Eligibility bot"),
        ("read", "insurance", patient.pk, "coverage", str(primary.pk), "API key: Eligibility bot"),
    ]


def test_coverage_list_runs_a_constant_number_of_queries() -> None:
    caller = key_client_for(Role.FRONT_DESK)
    patient = _patient()
    CoverageFactory(patient=patient, plan=PlanFactory())
    caller.get(f"/api/v1/patients/{patient.pk}/coverages")  # warm up (first-use lookups)
    with CaptureQueriesContext(connection) as one:
        caller.get(f"/api/v1/patients/{patient.pk}/coverages")
    CoverageFactory(patient=patient, priority=2, plan=PlanFactory())
    CoverageFactory(patient=patient, priority=3, plan=PlanFactory())
    with CaptureQueriesContext(connection) as three:
        assert caller.get(f"/api/v1/patients/{patient.pk}/coverages").json()["count"] == 3
    assert len(three) == len(one)


def test_coverage_create_answers_201_and_audits_one_insurance_create() -> None:
    caller = key_client_for(Role.BILLING, name="Clearinghouse")
    patient = _patient()
    plan = PlanFactory()
    before = _last_sequence()
    response = caller.post(
        f"/api/v1/patients/{patient.pk}/coverages",
        {
            "payer_id": str(plan.payer_id),
            "plan_id": str(plan.pk),
            "member_id": "ABC123456",
            "group_number": "G-77",
            "effective_on": "2026-01-01",
            "copay_specialist": "40.5",
        },
    )
    assert response.status_code == 201, response.json()
    coverage = Coverage.objects.get(patient=patient)
    assert response.json() == _coverage_json(coverage) | {"copay_specialist": "40.50"}
    assert coverage.copay_specialist == Decimal("40.50")
    [event] = _new_audit(before)
    assert (event.action, event.category, event.patient_id, event.object_id, event.actor_name) == (
        "create",
        "insurance",
        patient.pk,
        str(coverage.pk),
        "API key: Clearinghouse",
    )


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ({}, 422, {"payer_id", "member_id"}),
        ({"payer_id": "PAYER", "member_id": "A1"}, 422, {"payer_id"}),
        ({"payer_id": "{payer}", "member_id": ""}, 422, {"member_id"}),
        ({"payer_id": "{payer}", "member_id": "A1", "priority": 4}, 422, {"priority"}),
        ({"payer_id": "{payer}", "member_id": "A1", "copay_emergency": "-1"}, 422,
         {"copay_emergency"}),
        ({"payer_id": "{payer}", "member_id": "A1", "copay_emergency": "1.234"}, 422,
         {"copay_emergency"}),
        ({"payer_id": "{payer}", "member_id": "A1", "copay_emergency": "NaN"}, 422,
         {"copay_emergency"}),
        ({"payer_id": "987654", "member_id": "A1"}, 400, {"payer_id"}),
        ({"payer_id": "{payer}", "plan_id": "{other_plan}", "member_id": "A1"}, 400, {"plan_id"}),
        ({"payer_id": "{payer}", "member_id": "A1", "effective_on": "2026-05-01",
          "terminates_on": "2026-04-01"}, 400, {"terminates_on"}),
        ({"payer_id": "{payer}", "member_id": "A1", "relationship": "01"}, 400,
         {"subscriber_first_name", "subscriber_last_name", "subscriber_date_of_birth"}),
        ({"payer_id": "{payer}", "member_id": "A1", "priority": 3}, 400, {"priority"}),
    ],
)  # fmt: skip
def test_coverage_create_refuses_bad_input(body, status, fields) -> None:
    caller = key_client_for(Role.FRONT_DESK)
    patient = _patient()
    payer = PayerFactory()
    CoverageFactory(patient=patient, payer=payer, priority=3)
    other_plan = PlanFactory()
    text = (
        json.dumps(body)
        .replace("{payer}", str(payer.pk))
        .replace("{other_plan}", str(other_plan.pk))
    )
    before = _last_sequence()
    response = caller.post(f"/api/v1/patients/{patient.pk}/coverages", text)
    assert response.status_code == status, response.json()
    assert set(response.json()["fields"]) == fields
    assert Coverage.objects.filter(patient=patient).count() == 1
    assert _new_audit(before) == []


def test_coverage_patch_changes_only_what_is_sent() -> None:
    caller = key_client_for(Role.FRONT_DESK, name="Portal")
    coverage = CoverageFactory(patient=_patient(), group_number="OLD")
    before = _last_sequence()
    response = caller.patch(f"/api/v1/coverages/{coverage.pk}", {"group_number": "NEW-9"})
    assert response.status_code == 200, response.json()
    coverage.refresh_from_db()
    assert response.json() == _coverage_json(coverage)
    assert coverage.group_number == "NEW-9"
    [event] = _new_audit(before)
    assert (event.action, event.category, event.object_id) == (
        "update",
        "insurance",
        str(coverage.pk),
    )
    assert list(
        FieldChange.objects.filter(audit_event=event).values_list("field", "old_value", "new_value")
    ) == [("group_number", "OLD", "NEW-9")]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"member_id": None}, 422, "member_id"),
        ({"payer_id": None}, 422, "payer_id"),
        ({"member_id": ""}, 422, "member_id"),
        ({"patient_id": "1"}, 422, "patient_id"),
        ({"terminates_on": "2025-01-01"}, 400, "terminates_on"),
    ],
)
def test_coverage_patch_refuses_bad_input_and_changes_nothing(body, status, field) -> None:
    caller = key_client_for(Role.FRONT_DESK)
    coverage = CoverageFactory(patient=_patient(), effective_on=dt.date(2026, 1, 1))
    before_row = Coverage.objects.filter(pk=coverage.pk).values().get()
    response = caller.patch(f"/api/v1/coverages/{coverage.pk}", body)
    assert response.status_code == status, response.json()
    assert list(response.json()["fields"]) == [field]
    assert Coverage.objects.filter(pk=coverage.pk).values().get() == before_row
