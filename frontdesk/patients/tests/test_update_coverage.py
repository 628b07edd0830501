"""patient_update, coverage_create/update, verification_record, patient_get and change history."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent, FieldChange
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.patients.errors import PatientMerged
from frontdesk.patients.models import Coverage, Patient, PatientPhone, Verification
from frontdesk.patients.selectors import patient_change_history, patient_get
from frontdesk.patients.services import (
    coverage_create,
    coverage_update,
    patient_update,
    verification_record,
)
from tests.factories import PayerFactory, PlanFactory

pytestmark = pytest.mark.django_db


def _png(size: tuple[int, int] = (40, 25)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, format="PNG")
    return SimpleUploadedFile("card front.png", buffer.getvalue(), content_type="image/png")


# --- patient_update ---------------------------------------------------------------------------


def test_update_changes_only_given_fields_and_records_history(clerk: Any, register: Any) -> None:
    patient = register("Robert", "Quibley", ssn="123456789", email="rq@example.com")

    updated = patient_update(
        actor=clerk,
        patient=patient,
        data={"last_name": "Quibley-Vex", "ssn": "567-65-4321", "email": "rq@example.com"},
    )

    fresh = Patient.objects.get(pk=patient.pk)
    assert (fresh.last_name, fresh.last_name_key, fresh.first_name) == (
        "Quibley-Vex",
        "quibleyvex",
        "Robert",
    )
    assert (fresh.ssn, fresh.ssn_last4) == ("567654321", "4321")
    assert updated.pk == patient.pk
    event = AuditEvent.objects.filter(action="update").get()
    assert (event.category, event.patient_id, event.detail) == (
        "demographics",
        patient.pk,
        {"fields": ["last_name", "ssn"]},
    )
    rows = FieldChange.objects.filter(audit_event=event).order_by("field")
    assert [(r.field, r.old_value, r.new_value) for r in rows] == [
        ("last_name", "Quibley", "Quibley-Vex"),
        ("ssn", "***-**-6789", "***-**-4321"),  # never the full number
    ]


def test_update_replaces_phones_and_records_them(clerk: Any, register: Any) -> None:
    patient = register(phones=("(202) 555-0100",))
    patient_update(
        actor=clerk,
        patient=patient,
        data={
            "phones": [
                {"number": "312-555-0199", "phone_type": "home", "sms_capable": False},
                {"number": "(202) 555-0100", "phone_type": "mobile", "sms_capable": True},
            ]
        },
    )
    assert list(
        PatientPhone.objects.filter(patient=patient)
        .order_by("rank")
        .values_list("number", "digits_reversed", "rank")
    ) == [("+13125550199", "9910555213", 1), ("+12025550100", "0010555202", 2)]
    change = FieldChange.objects.get(field="phones")
    assert change.old_value == "(202) 555-0100 (mobile, SMS)"
    assert change.new_value == "(312) 555-0199 (home); (202) 555-0100 (mobile, SMS)"


def test_update_validation_failure_writes_nothing(clerk: Any, register: Any) -> None:
    patient = register()
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        patient_update(
            actor=clerk,
            patient=patient,
            data={"first_name": "Bobby", "date_of_birth": dt.date(2999, 1, 1)},
        )
    assert caught.value.fields == {"date_of_birth": ["The date of birth cannot be in the future."]}
    assert Patient.objects.get(pk=patient.pk).first_name == "Robert"
    assert AuditEvent.objects.count() == before


def test_update_denied_for_role_without_permission(
    register: Any, make_user: Any, location: Any
) -> None:
    patient = register()
    nurse = make_user(Role.NURSE, location)
    with pytest.raises(PermissionDenied):
        patient_update(actor=nurse, patient=patient, data={"first_name": "Bobby"})
    assert Patient.objects.get(pk=patient.pk).first_name == "Robert"


def test_update_of_merged_record_points_to_survivor(clerk: Any, register: Any) -> None:
    survivor = register("Zed", "Plonk")
    merged = register()
    Patient.objects.filter(pk=merged.pk).update(merged_into=survivor, is_active=False)
    with pytest.raises(PatientMerged) as caught:
        patient_update(actor=clerk, patient=merged, data={"first_name": "Bobby"})
    assert caught.value.survivor_id == survivor.pk


# --- coverages --------------------------------------------------------------------------------


def test_coverage_create_with_plan_copays_and_card(clerk: Any, register: Any) -> None:
    patient = register()
    plan = PlanFactory()
    coverage = coverage_create(
        actor=clerk,
        patient=patient,
        data={
            "payer": plan.payer,
            "plan": plan,
            "member_id": " XM-123 45 ",
            "group_number": "G77",
            "effective_on": dt.date(2026, 1, 1),
            "copay_primary_care": Decimal("25.00"),
            "card_front": _png(),
        },
    )
    coverage.refresh_from_db()
    assert (coverage.member_id, coverage.member_id_key, coverage.priority, coverage.status) == (
        "XM-123 45",
        "xm12345",
        1,
        "active",
    )
    assert coverage.copay_primary_care == Decimal("25.00")
    assert coverage.card_front.name.startswith("patients/cards/")
    assert "card" not in coverage.card_front.name.removeprefix("patients/cards/")
    event = AuditEvent.objects.get(action="create", category="insurance")
    assert (event.patient_id, event.object_type, event.object_id) == (
        patient.pk,
        "coverage",
        str(coverage.pk),
    )
    assert set(FieldChange.objects.filter(audit_event=event).values_list("field", flat=True)) == {
        "payer",
        "plan",
        "member_id",
        "group_number",
        "effective_on",
        "copay_primary_care",
        "card_front",
    }


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"member_id": ""}, "member_id", "Enter the member ID from the insurance card."),
        ({"payer": None}, "payer", "Choose the insurance company."),
        (
            {"effective_on": dt.date(2026, 5, 1), "terminates_on": dt.date(2026, 4, 30)},
            "terminates_on",
            "The termination date cannot be before the effective date.",
        ),
        (
            {"relationship": "19", "subscriber_last_name": "Quibley"},
            "subscriber_first_name",
            "Enter the subscriber's first name (the patient is not the subscriber).",
        ),
        ({"priority": 4}, "priority", "Choose one of the listed options."),
        (
            {"copay_specialist": Decimal("-1")},
            "copay_specialist",
            "Enter an amount of zero or more.",
        ),
        (
            {"copay_specialist": Decimal("1.005")},
            "copay_specialist",
            "Use at most two decimal places.",
        ),
        (
            {"card_back": SimpleUploadedFile("x.png", b"%PDF-1.4 not an image")},
            "card_back",
            "The file is not an image we can read (use JPEG or PNG).",
        ),
    ],
)
def test_coverage_bad_input(
    clerk: Any, register: Any, data: dict[str, Any], field: str, message: str
) -> None:
    patient = register()
    full = {"payer": PayerFactory(), "member_id": "A1", **data}
    with pytest.raises(ValidationFailed) as caught:
        coverage_create(actor=clerk, patient=patient, data=full)
    assert caught.value.fields[field] == [message]
    assert Coverage.objects.count() == 0


def test_subscriber_fields_missing_are_each_named(clerk: Any, register: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        coverage_create(
            actor=clerk,
            patient=register(),
            data={"payer": PayerFactory(), "member_id": "A1", "relationship": "01"},
        )
    assert sorted(caught.value.fields) == [
        "subscriber_date_of_birth",
        "subscriber_first_name",
        "subscriber_last_name",
    ]


def test_inactive_payer_and_foreign_plan(clerk: Any, register: Any) -> None:
    payer = PayerFactory(is_active=False)
    with pytest.raises(ValidationFailed) as caught:
        coverage_create(
            actor=clerk,
            patient=register(),
            data={"payer": payer, "plan": PlanFactory(), "member_id": "A1"},
        )
    assert caught.value.fields == {
        "payer": ["That payer is no longer active; choose another."],
        "plan": ["That plan belongs to another payer."],
    }


def test_oversized_card_refused(clerk: Any, register: Any, settings: Any) -> None:
    settings.MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationFailed) as caught:
        coverage_create(
            actor=clerk,
            patient=register(),
            data={"payer": PayerFactory(), "member_id": "A1", "card_front": _png((300, 300))},
        )
    assert caught.value.fields == {"card_front": ["The file is too large; the limit is 0 MB."]}


def test_one_active_coverage_per_priority(clerk: Any, register: Any) -> None:
    patient = register()
    first = coverage_create(
        actor=clerk, patient=patient, data={"payer": PayerFactory(), "member_id": "A1"}
    )
    with pytest.raises(ValidationFailed) as caught:
        coverage_create(
            actor=clerk, patient=patient, data={"payer": PayerFactory(), "member_id": "B2"}
        )
    assert caught.value.fields == {
        "priority": [
            "This patient already has an active primary coverage; end or cancel it first, "
            "or choose another priority."
        ]
    }
    secondary = coverage_create(
        actor=clerk,
        patient=patient,
        data={"payer": PayerFactory(), "member_id": "B2", "priority": 2},
    )
    coverage_update(actor=clerk, coverage=first, data={"status": "cancelled"})
    coverage_update(actor=clerk, coverage=secondary, data={"priority": 1})
    assert list(
        Coverage.objects.filter(patient=patient).order_by("id").values_list("status", "priority")
    ) == [("cancelled", 1), ("active", 1)]


def test_coverage_update_history(clerk: Any, register: Any) -> None:
    patient = register()
    coverage = coverage_create(
        actor=clerk,
        patient=patient,
        data={"payer": PayerFactory(name="Acme Test Health"), "member_id": "A1"},
    )
    new_payer: Any = PayerFactory(name="Bolt Test Health")
    coverage_update(actor=clerk, coverage=coverage, data={"member_id": "A-2", "payer": new_payer})
    coverage.refresh_from_db()
    assert (coverage.member_id, coverage.member_id_key, coverage.payer_id) == (
        "A-2",
        "a2",
        new_payer.pk,
    )
    event = AuditEvent.objects.get(action="update", category="insurance")
    assert event.detail == {"fields": ["member_id", "payer"]}
    assert sorted(
        FieldChange.objects.filter(audit_event=event).values_list("field", "old_value", "new_value")
    ) == [("member_id", "A1", "A-2"), ("payer", "Acme Test Health", "Bolt Test Health")]


def test_coverage_edit_denied_for_scheduler(register: Any, make_user: Any, location: Any) -> None:
    scheduler = make_user(Role.SCHEDULER, location)
    with pytest.raises(PermissionDenied):
        coverage_create(
            actor=scheduler, patient=register(), data={"payer": PayerFactory(), "member_id": "A1"}
        )
    assert Coverage.objects.count() == 0


# --- verification, patient_get, history -------------------------------------------------------


def test_verification_record(clerk: Any, register: Any) -> None:
    patient = register()
    verification = verification_record(
        actor=clerk,
        patient=patient,
        demographics_confirmed=True,
        insurance_confirmed=False,
        identity_document="driver's licence",
        changed_fields=["email", "email", " phones "],
        note="New card next visit",
    )
    verification.refresh_from_db()
    assert (verification.verified_by_id, verification.changed_fields, verification.note) == (
        clerk.pk,
        ["email", "phones"],
        "New card next visit",
    )
    event = AuditEvent.objects.get(object_type="verification")
    assert event.detail == {"demographics_confirmed": True, "insurance_confirmed": False}


def test_verification_needs_a_confirmation_or_a_note(clerk: Any, register: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        verification_record(
            actor=clerk, patient=register(), demographics_confirmed=False, insurance_confirmed=False
        )
    assert caught.value.fields == {
        "note": ["Confirm demographics or insurance, or say in a note why neither was."]
    }
    assert Verification.objects.count() == 0


def test_patient_get_audits_one_read_and_prefetches(clerk: Any, register: Any) -> None:
    patient = register(phones=("202-555-0100", "202-555-0101"))
    coverage_create(actor=clerk, patient=patient, data={"payer": PayerFactory(), "member_id": "A1"})
    for _ in range(7):
        verification_record(
            actor=clerk, patient=patient, demographics_confirmed=True, insurance_confirmed=True
        )
    before = AuditEvent.objects.count()

    loaded = patient_get(user=clerk, patient_id=patient.pk)

    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event is not None
    assert (event.action, event.category, event.patient_id) == ("read", "demographics", patient.pk)
    assert len(loaded.recent_verifications) == 5
    assert loaded.primary_coverage is not None
    assert loaded.primary_coverage.member_id == "A1"
    assert [p.number for p in loaded.phones.all()] == ["+12025550100", "+12025550101"]

    patient_get(user=clerk, patient_id=patient.pk, audit=False)
    assert AuditEvent.objects.count() == before + 1


def test_patient_get_not_found_and_out_of_scope(
    clerk: Any, register: Any, make_user: Any, location: Any
) -> None:
    patient = register()
    with pytest.raises(NotFound):
        patient_get(user=clerk, patient_id=patient.pk + 1000)
    Patient.objects.filter(pk=patient.pk).update(is_restricted=True)
    with pytest.raises(NotFound):
        patient_get(user=clerk, patient_id=patient.pk)
    with pytest.raises(NotFound):
        patient_get(user=make_user(Role.ADMIN, location), patient_id=patient.pk)
    assert not AuditEvent.objects.filter(action="read").exists()


def test_change_history_newest_first_across_patient_and_coverage(clerk: Any, register: Any) -> None:
    patient = register()
    coverage = coverage_create(
        actor=clerk, patient=patient, data={"payer": PayerFactory(), "member_id": "A1"}
    )
    patient_update(actor=clerk, patient=patient, data={"first_name": "Bobby"})
    coverage_update(actor=clerk, coverage=coverage, data={"group_number": "G1"})

    history = patient_change_history(user=clerk, patient_id=patient.pk)

    assert [(c.object_type, c.field, c.old_value, c.new_value) for c in history][:2] == [
        ("coverage", "group_number", "", "G1"),
        ("patient", "first_name", "Robert", "Bobby"),
    ]
    assert history[0].audit_event.actor_id == clerk.pk
    with pytest.raises(NotFound):
        patient_change_history(user=clerk, patient_id=patient.pk + 1000)


def test_update_without_phones_key_keeps_phones_and_empty_list_removes_them(
    clerk: Any, register: Any
) -> None:
    patient = register(phones=("(202) 555-0100",))
    patient_update(actor=clerk, patient=patient, data={"employer_name": "Example Widgets"})
    assert PatientPhone.objects.filter(patient=patient).count() == 1
    patient_update(actor=clerk, patient=patient, data={"phones": []})
    assert PatientPhone.objects.filter(patient=patient).count() == 0
    assert FieldChange.objects.get(field="phones").new_value == ""
