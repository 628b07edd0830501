# mypy: disable-error-code="arg-type, attr-defined, misc, operator, union-attr, return-value"
# (factory_boy's metaclass __call__ is untyped: mypy sees factory instances, not model rows.)
"""Patient web screens: search, registration with the duplicate warning, the patient page, edits."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent, FieldChange
from frontdesk.patients import services
from frontdesk.patients.models import (
    Coverage,
    DuplicateOverride,
    Patient,
    PatientMerge,
    PatientPhone,
    Verification,
)
from tests.factories import (
    CoverageFactory,
    LocationFactory,
    PatientFactory,
    PatientPhoneFactory,
    PayerFactory,
    PlanFactory,
    UserFactory,
    assign,
)

pytestmark = pytest.mark.django_db


def _login(role: str = Role.FRONT_DESK, *, csrf: bool = False) -> tuple[Client, Any]:
    user = UserFactory(role=role)
    assign(user, LocationFactory())
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client, user


def _register(actor: Any, first: str = "Robert", last: str = "Zzquux", **fields: Any) -> Patient:
    data = {
        "first_name": first,
        "last_name": last,
        "date_of_birth": dt.date(1960, 1, 2),
        "sex_at_birth": "M",
        "phones": [{"number": "(202) 555-0142", "phone_type": "mobile", "sms_capable": True}],
        **fields,
    }
    return services.patient_register(actor=actor, data=data, duplicate_override_reason="setup")


def _registration_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "first_name": "Wilhelmina",
        "last_name": "Zzexampleton",
        "date_of_birth": "1975-03-04",
        "sex_at_birth": "F",
        "preferred_language": "en",
        "guarantor_kind": "self",
        "email": "wilhelmina@example.com",
        "ssn": "123-45-6789",
        "phone_1_number": "(202) 555-0177",
        "phone_1_type": "mobile",
        "phone_1_sms": "on",
        "phone_2_number": "",
        "phone_2_type": "home",
        "phone_3_number": "",
        "phone_3_type": "home",
        "sms_consent_at": "2026-01-05",
    }
    data.update(overrides)
    return data


def _error_beside(body: str, field_id: str, message: str) -> bool:
    start = body.find(f'id="{field_id}_error"')
    return start != -1 and message in body[start : start + 400]


def _png(size: tuple[int, int] = (40, 24)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "card.png"
    return buffer


# --- search -----------------------------------------------------------------------------------


def test_search_page_authorization(client):
    url = reverse("patients:search")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    assert _login(Role.ADMIN)[0].get(url).status_code == 403  # no patient data for IT admins
    assert _login(Role.FRONT_DESK)[0].get(url).status_code == 200


def test_search_page_has_one_htmx_search_box_and_no_query_in_urls():
    client, _user = _login()
    body = client.get(reverse("patients:search")).content.decode()
    assert body.count("data-search-box") == 1
    assert "autofocus" in body
    assert f'hx-post="{reverse("patients:search_results")}"' in body
    assert 'hx-trigger="input changed delay:200ms, search"' in body
    assert 'method="post"' in body
    assert "hx-get" not in body


def test_search_results_partial_lists_patients_and_audits_one_query_row():
    client, user = _login()
    patient = _register(user, "Robert", "Zzquux")
    payer = PayerFactory(name="Example Mutual")
    CoverageFactory(patient=patient, payer=payer, priority=1)
    before = AuditEvent.objects.count()

    response = client.post(reverse("patients:search_results"), {"q": "zzquux rob"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body  # a partial, not a page
    assert "Zzquux, Robert" in body
    assert "01/02/1960" in body
    assert patient.mrn in body
    assert "(202) 555-0142" in body
    assert "Example Mutual" in body
    assert f'data-href="{reverse("patients:detail", args=[patient.pk])}"' in body
    rows = list(AuditEvent.objects.filter(sequence__gt=before).values("action", "detail"))
    assert rows == [{"action": "query", "detail": {"kind": "name", "results": 1}}]
    assert "zzquux" not in str(AuditEvent.objects.order_by("-sequence").first().detail).lower()


def test_search_results_empty_query_renders_nothing_and_no_audit():
    client, _user = _login()
    response = client.post(reverse("patients:search_results"), {"q": "  "})
    assert response.status_code == 200
    assert response.content.decode().strip() == ""
    assert AuditEvent.objects.filter(action="query").count() == 0


def test_search_results_no_match_message():
    client, _user = _login()
    response = client.post(reverse("patients:search_results"), {"q": "Qqqnobody Zzznothing"})
    assert "No patients match." in response.content.decode()


def test_search_results_refuses_get_and_missing_csrf():
    client, _user = _login()
    assert client.get(reverse("patients:search_results")).status_code == 405
    csrf_client, _ = _login(csrf=True)
    assert csrf_client.post(reverse("patients:search_results"), {"q": "x"}).status_code == 403
    assert AuditEvent.objects.filter(action="query").count() == 0


def test_search_without_javascript_posts_the_page_itself():
    client, user = _login()
    patient = _register(user, "Robert", "Zzquux")
    response = client.post(reverse("patients:search"), {"q": patient.mrn})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body
    assert f'value="{patient.mrn}"' in body
    assert reverse("patients:detail", args=[patient.pk]) in body


# --- registration -----------------------------------------------------------------------------


def test_register_authorization(client):
    url = reverse("patients:register")
    assert client.get(url).status_code == 302
    assert _login(Role.NURSE)[0].get(url).status_code == 403
    nurse_client, _ = _login(Role.NURSE)
    assert nurse_client.post(url, _registration_post()).status_code == 403
    assert Patient.objects.count() == 0
    assert _login(Role.FRONT_DESK)[0].get(url).status_code == 200


def test_register_form_has_every_registration_field_with_labels():
    body = _login()[0].get(reverse("patients:register")).content.decode()
    for name in [
        "first_name",
        "middle_name",
        "last_name",
        "preferred_name",
        "date_of_birth",
        "sex_at_birth",
        "gender_identity",
        "pronouns",
        "ssn",
        "phone_1_number",
        "phone_3_sms",
        "email",
        "address_line1",
        "postal_code",
        "preferred_language",
        "interpreter_needed",
        "sms_consent_at",
        "email_consent_at",
        "voice_consent_at",
        "emergency_contact_name",
        "guarantor_kind",
        "guarantor_mrn",
        "employer_name",
    ]:
        assert f'for="id_{name}"' in body, name
        assert f'id="id_{name}"' in body, name


def test_register_creates_the_patient_and_redirects_to_the_page():
    client, _user = _login()
    response = client.post(reverse("patients:register"), _registration_post())
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert (patient.first_name, patient.last_name, patient.ssn_last4) == (
        "Wilhelmina",
        "Zzexampleton",
        "6789",
    )
    assert patient.sms_consent_at == dt.date(2026, 1, 5)
    assert list(patient.phones.values_list("number", "phone_type", "sms_capable")) == [
        ("+12025550177", "mobile", True)
    ]
    assert AuditEvent.objects.filter(action="create", patient_id=patient.pk).count() == 1


def test_register_bad_input_shows_messages_beside_fields_and_saves_nothing():
    client, _user = _login()
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    response = client.post(
        reverse("patients:register"),
        _registration_post(date_of_birth=tomorrow, email="not-an-email", ssn="12345"),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert _error_beside(body, "id_date_of_birth", "The date of birth cannot be in the future.")
    assert _error_beside(body, "id_email", "Enter a valid e-mail address, e.g. name@example.com.")
    assert _error_beside(body, "id_ssn", "Enter the 9 digits of the Social Security number.")
    assert Patient.objects.count() == 0
    assert PatientPhone.objects.count() == 0
    assert AuditEvent.objects.filter(action="create").count() == 0


def test_register_bad_phone_message_beside_the_phones():
    client, _user = _login()
    response = client.post(
        reverse("patients:register"), _registration_post(phone_2_number="12", phone_2_type="home")
    )
    assert response.status_code == 400
    body = response.content.decode()
    start = body.index('id="phones-error"')
    assert "Phone 2:" in body[start : start + 300]
    assert Patient.objects.count() == 0


def test_register_missing_required_fields():
    client, _user = _login()
    response = client.post(
        reverse("patients:register"), _registration_post(first_name="", date_of_birth="")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert _error_beside(body, "id_first_name", "This field is required.")
    assert _error_beside(body, "id_date_of_birth", "This field is required.")
    assert Patient.objects.count() == 0


def test_register_duplicate_warning_then_reason_then_created():
    client, user = _login()
    existing = _register(user, "Robert", "Zzquux")
    post = _registration_post(
        first_name="Bob", last_name="Zzquux", date_of_birth="1960-01-02", phone_1_number=""
    )

    response = client.post(reverse("patients:register"), post)

    assert response.status_code == 409
    body = response.content.decode()
    assert "This patient may already be registered" in body
    assert "Zzquux, Robert" in body
    assert existing.mrn in body
    assert "<td>01/02/1960</td>" in body
    assert "<td>85</td>" in body
    assert "same date of birth; same last name; first name Bob is a nickname of Robert" in body
    assert reverse("patients:detail", args=[existing.pk]) in body
    assert 'name="duplicate_override_reason"' in body
    assert Patient.objects.count() == 1

    # Submitting again without a reason: the warning stays and the reason is asked for.
    response = client.post(reverse("patients:register"), {**post, "duplicates_shown": "1"})
    assert response.status_code == 409
    assert _error_beside(
        response.content.decode(),
        "id_duplicate_override_reason",
        "Give a reason to register anyway, or open the existing record.",
    )
    assert Patient.objects.count() == 1

    response = client.post(
        reverse("patients:register"),
        {**post, "duplicates_shown": "1", "duplicate_override_reason": "Father and son, ID seen"},
    )
    assert response.status_code == 302
    created = Patient.objects.exclude(pk=existing.pk).get()
    override = DuplicateOverride.objects.get(patient=created)
    assert (override.reason, override.candidate_ids) == ("Father and son, ID seen", [existing.pk])


def test_register_guarantor_by_mrn():
    client, user = _login()
    parent = _register(user, "Georgina", "Zzparent")
    response = client.post(
        reverse("patients:register"),
        _registration_post(guarantor_kind="patient", guarantor_mrn=parent.mrn.lower()),
    )
    assert response.status_code == 302
    child = Patient.objects.get(first_name="Wilhelmina")
    assert child.guarantor_patient_id == parent.pk

    response = client.post(
        reverse("patients:register"),
        _registration_post(first_name="Other", guarantor_kind="patient", guarantor_mrn="M9999999"),
    )
    assert _error_beside(response.content.decode(), "id_guarantor_mrn", "No patient has this MRN.")
    assert not Patient.objects.filter(first_name="Other").exists()


def test_register_refuses_missing_csrf_token():
    client, _user = _login(csrf=True)
    assert client.post(reverse("patients:register"), _registration_post()).status_code == 403
    assert Patient.objects.count() == 0


# --- the patient page -------------------------------------------------------------------------


def test_detail_authorization_and_one_read_audit_row(client):
    patient = PatientFactory()
    url = reverse("patients:detail", args=[patient.pk])
    assert client.get(url).status_code == 302
    assert _login(Role.ADMIN)[0].get(url).status_code == 403
    nurse_client, nurse = _login(Role.NURSE)
    assert nurse_client.get(url).status_code == 200
    rows = list(AuditEvent.objects.values_list("action", "category", "patient_id", "actor_id"))
    assert rows == [("read", "demographics", patient.pk, nurse.pk)]


def test_detail_of_restricted_or_missing_patient_is_404():
    restricted = PatientFactory(is_restricted=True)
    client, _user = _login()
    assert client.get(reverse("patients:detail", args=[restricted.pk])).status_code == 404
    assert client.get(reverse("patients:detail", args=[999999])).status_code == 404


def test_detail_masks_ssn_unless_the_role_may_see_it():
    clerk_client, clerk = _login(Role.FRONT_DESK)
    patient = _register(clerk, ssn="123-45-6789")
    url = reverse("patients:detail", args=[patient.pk])
    body = clerk_client.get(url).content.decode()
    assert "<dd data-ssn>***-**-6789</dd>" in body
    assert "123-45" not in body
    billing_body = _login(Role.BILLING)[0].get(url).content.decode()
    assert "<dd data-ssn>123-45-6789</dd>" in billing_body


def test_detail_shows_phones_coverages_verifications_and_history():
    client, user = _login()
    patient = _register(user, "Robert", "Zzquux")
    payer = PayerFactory(name="Example Mutual")
    plan = PlanFactory(payer=payer, name="Gold PPO")
    coverage = services.coverage_create(
        actor=user,
        patient=patient,
        data={"payer": payer, "plan": plan, "member_id": "XM-55501", "priority": 1},
    )
    services.patient_update(actor=user, patient=patient, data={"city": "Shelbyville"})
    services.verification_record(
        actor=user, patient=patient, demographics_confirmed=True, insurance_confirmed=True
    )

    body = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()

    assert "(202) 555-0142" in body
    assert "Example Mutual — Gold PPO" in body
    assert "XM-55501" in body
    assert reverse("patients:coverage_edit", args=[patient.pk, coverage.pk]) in body
    assert "Never verified." not in body
    history = body[body.index('id="history-heading"') :]
    assert "<td>city</td>" in history
    assert "Shelbyville" in history
    assert "<td>member_id</td>" in history
    assert "XM-55501" in history


def test_merged_record_redirects_to_the_survivor():
    manager_client, manager = _login(Role.PRACTICE_MANAGER)
    survivor = _register(manager, "Robert", "Zzquux")
    merged = _register(manager, "Bob", "Zzquux")
    services.patient_merge(actor=manager, survivor=survivor, merged=merged, reason="same person")
    response = manager_client.get(reverse("patients:detail", args=[merged.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[survivor.pk])
    edit = manager_client.get(reverse("patients:edit", args=[merged.pk]))
    assert edit["Location"] == reverse("patients:detail", args=[survivor.pk])


def test_detail_runs_a_constant_number_of_queries():
    client, user = _login(Role.BILLING)

    def patient_with(count: int) -> Patient:
        patient = PatientFactory()
        for index in range(count):
            PatientPhoneFactory(patient=patient, rank=index + 1)
            CoverageFactory(
                patient=patient,
                priority=(index % 3) + 1,
                status="active" if index < 3 else "cancelled",
                plan=PlanFactory(),
            )
            Verification.objects.create(
                patient=patient,
                verified_at=dt.datetime(2026, 1, 1 + index, tzinfo=dt.UTC),
                verified_by=user,
                demographics_confirmed=True,
            )
        return patient

    small, large = patient_with(1), patient_with(5)
    client.get(reverse("patients:detail", args=[small.pk]))  # warm up session and caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("patients:detail", args=[small.pk])).status_code == 200
    with CaptureQueriesContext(connection) as five:
        assert client.get(reverse("patients:detail", args=[large.pk])).status_code == 200
    assert len(five.captured_queries) == len(one.captured_queries)


# --- edit demographics ------------------------------------------------------------------------


def test_edit_demographics_records_history_and_keeps_ssn_when_left_empty():
    client, user = _login()
    patient = _register(user, ssn="123-45-6789")
    url = reverse("patients:edit", args=[patient.pk])
    page = client.get(url).content.decode()
    assert 'value="Zzquux"' in page
    assert "123-45-6789" not in page and "123456789" not in page

    post = _registration_post(
        first_name="Robert",
        last_name="Zzquux-Smythe",
        date_of_birth="1960-01-02",
        sex_at_birth="M",
        email="",
        ssn="",
        phone_1_number="(202) 555-0142",
        sms_consent_at="",
    )
    response = client.post(url, post)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.last_name == "Zzquux-Smythe"
    assert patient.ssn == "123456789"
    assert ("last_name", "Zzquux", "Zzquux-Smythe") in set(
        FieldChange.objects.filter(patient_id=patient.pk).values_list(
            "field", "old_value", "new_value"
        )
    )


def test_edit_bad_input_changes_nothing():
    client, user = _login()
    patient = _register(user)
    before = AuditEvent.objects.count()
    response = client.post(
        reverse("patients:edit", args=[patient.pk]),
        _registration_post(first_name="Renamed", last_name="Zzquux", email="nope"),
    )
    assert response.status_code == 400
    assert _error_beside(
        response.content.decode(),
        "id_email",
        "Enter a valid e-mail address, e.g. name@example.com.",
    )
    patient.refresh_from_db()
    assert patient.first_name == "Robert"
    assert patient.email == ""
    assert AuditEvent.objects.count() == before
    assert AuditEvent.objects.filter(action="update").count() == 0


def test_edit_authorization():
    patient = PatientFactory()
    url = reverse("patients:edit", args=[patient.pk])
    nurse_client, _ = _login(Role.NURSE)
    assert nurse_client.get(url).status_code == 403
    assert nurse_client.post(url, _registration_post()).status_code == 403
    patient.refresh_from_db()
    assert patient.first_name.startswith("Testpat")


# --- coverages and card images ----------------------------------------------------------------


def _coverage_post(payer: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "priority": "1",
        "status": "active",
        "payer": str(payer.pk),
        "plan": "",
        "member_id": "XM-77701",
        "group_number": "GRP-1",
        "relationship": "18",
        "effective_on": "2026-01-01",
        "terminates_on": "",
        "copay_primary_care": "25.00",
    }
    data.update(overrides)
    return data


def test_coverage_create_with_card_images_and_audited_download():
    client, user = _login()
    patient = _register(user)
    payer = PayerFactory()
    response = client.post(
        reverse("patients:coverage_create", args=[patient.pk]),
        {**_coverage_post(payer), "card_front": _png(), "card_back": _png((30, 30))},
    )
    assert response.status_code == 302
    coverage = Coverage.objects.get(patient=patient)
    assert coverage.member_id == "XM-77701"
    assert str(coverage.copay_primary_care) == "25.00"
    assert coverage.card_front and coverage.card_back

    before = AuditEvent.objects.count()
    download = client.get(
        reverse("patients:coverage_card", args=[patient.pk, coverage.pk, "front"])
    )
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"] == (
        f'attachment; filename="insurance-card-{coverage.pk}-front.png"'
    )
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    rows = list(
        AuditEvent.objects.filter(sequence__gt=before).values_list(
            "action", "category", "patient_id", "object_type", "detail"
        )
    )
    assert rows == [("read", "insurance", patient.pk, "coverage_card", {"side": "front"})]


def test_coverage_bad_upload_and_bad_dates_show_messages_and_save_nothing():
    client, user = _login()
    patient = _register(user)
    payer = PayerFactory()
    fake = io.BytesIO(b"<html><script>alert(1)</script></html>")
    fake.name = "card.png"
    response = client.post(
        reverse("patients:coverage_create", args=[patient.pk]),
        {
            **_coverage_post(payer, member_id="", terminates_on="2025-12-31"),
            "card_front": fake,
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert _error_beside(
        body, "id_card_front", "The file is not an image we can read (use JPEG or PNG)."
    )
    assert _error_beside(body, "id_member_id", "Enter the member ID from the insurance card.")
    assert _error_beside(
        body, "id_terminates_on", "The termination date cannot be before the effective date."
    )
    assert Coverage.objects.count() == 0


def test_coverage_edit_changes_member_id_and_keeps_card():
    client, user = _login()
    patient = _register(user)
    payer = PayerFactory()
    coverage = services.coverage_create(
        actor=user, patient=patient, data={"payer": payer, "member_id": "OLD-1"}
    )
    url = reverse("patients:coverage_edit", args=[patient.pk, coverage.pk])
    assert 'value="OLD-1"' in client.get(url).content.decode()
    response = client.post(url, _coverage_post(payer, member_id="NEW-2"))
    assert response.status_code == 302
    coverage.refresh_from_db()
    assert coverage.member_id == "NEW-2"


def test_coverage_of_another_patient_is_404():
    client, user = _login()
    patient, other = _register(user), _register(user, "Georgina", "Zzother")
    coverage = CoverageFactory(patient=other)
    assert (
        client.get(reverse("patients:coverage_edit", args=[patient.pk, coverage.pk])).status_code
        == 404
    )
    assert (
        client.get(
            reverse("patients:coverage_card", args=[patient.pk, coverage.pk, "front"])
        ).status_code
        == 404
    )


def test_coverage_edit_authorization():
    patient = PatientFactory()
    coverage = CoverageFactory(patient=patient, member_id="KEEP-1")
    url = reverse("patients:coverage_edit", args=[patient.pk, coverage.pk])
    nurse_client, _ = _login(Role.NURSE)
    assert nurse_client.get(url).status_code == 403
    assert nurse_client.post(url, _coverage_post(coverage.payer, member_id="X")).status_code == 403
    coverage.refresh_from_db()
    assert coverage.member_id == "KEEP-1"


# --- verification -----------------------------------------------------------------------------


def test_record_verification_confirmed_today():
    client, user = _login()
    patient = _register(user)
    response = client.post(
        reverse("patients:verify", args=[patient.pk]),
        {
            "demographics_confirmed": "on",
            "insurance_confirmed": "on",
            "identity_document": "driver's licence",
            "changed_fields": "address, phone",
        },
    )
    assert response.status_code == 302
    verification = Verification.objects.get(patient=patient)
    assert (
        verification.demographics_confirmed,
        verification.insurance_confirmed,
        verification.changed_fields,
        verification.verified_by_id,
    ) == (True, True, ["address", "phone"], user.pk)


def test_verification_needs_a_confirmation_or_a_note():
    client, user = _login()
    patient = _register(user)
    response = client.post(reverse("patients:verify", args=[patient.pk]), {})
    assert response.status_code == 400
    assert _error_beside(
        response.content.decode(),
        "id_note",
        "Confirm demographics or insurance, or say in a note why neither was.",
    )
    assert Verification.objects.count() == 0
    nurse_client, _ = _login(Role.NURSE)
    assert (
        nurse_client.post(
            reverse("patients:verify", args=[patient.pk]), {"demographics_confirmed": "on"}
        ).status_code
        == 403
    )
    assert Verification.objects.count() == 0


# --- merge ------------------------------------------------------------------------------------


def test_merge_two_steps_for_a_practice_manager():
    client, manager = _login(Role.PRACTICE_MANAGER)
    survivor = _register(manager, "Robert", "Zzquux")
    duplicate = _register(manager, "Bob", "Zzquux")
    url = reverse("patients:merge", args=[survivor.pk])
    assert client.get(url).status_code == 200

    review = client.post(url, {"other_mrn": duplicate.mrn, "keep": "this", "reason": "same ID"})
    assert review.status_code == 200
    body = review.content.decode()
    assert f"Survives: MRN {survivor.mrn}" in body
    assert f"Merged away: MRN {duplicate.mrn}" in body
    assert PatientMerge.objects.count() == 0  # nothing happens before the confirmation

    done = client.post(
        url, {"other_mrn": duplicate.mrn, "keep": "this", "reason": "same ID", "confirmed": "True"}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("patients:detail", args=[survivor.pk])
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk
    assert PatientMerge.objects.get().reason == "same ID"


def test_merge_needs_reason_and_a_known_mrn_and_the_right_role():
    client, manager = _login(Role.PRACTICE_MANAGER)
    patient = _register(manager)
    url = reverse("patients:merge", args=[patient.pk])
    response = client.post(url, {"other_mrn": "M9999999", "keep": "this", "reason": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert _error_beside(body, "id_other_mrn", "No patient has this MRN.")
    assert _error_beside(body, "id_reason", "Give the reason for the merge.")
    response = client.post(
        url, {"other_mrn": patient.mrn, "keep": "this", "reason": "x", "confirmed": "True"}
    )
    assert _error_beside(
        response.content.decode(), "id_other_mrn", "Enter the MRN of a different patient."
    )

    other = _register(manager, "Georgina", "Zzother")
    clerk_client, _ = _login(Role.FRONT_DESK)
    assert clerk_client.get(url).status_code == 403
    assert (
        clerk_client.post(
            url, {"other_mrn": other.mrn, "keep": "this", "reason": "x", "confirmed": "True"}
        ).status_code
        == 403
    )
    assert PatientMerge.objects.count() == 0


# --- output encoding --------------------------------------------------------------------------

HOSTILE = '<img src=x onerror="alert(1)">'


def test_hostile_patient_text_renders_inert_on_search_and_patient_page():
    client, _user = _login()
    patient = PatientFactory(last_name="Zzhostile", preferred_name=HOSTILE, pronouns=HOSTILE)
    PatientPhoneFactory(patient=patient)
    CoverageFactory(patient=patient, member_id=HOSTILE, group_number="=HYPERLINK(1)")

    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    results = client.post(reverse("patients:search_results"), {"q": patient.mrn}).content.decode()

    for body in (page, results):
        assert HOSTILE not in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "Zzhostile" in results


def test_detail_uses_the_audit_apps_history_partial_when_installed(settings, tmp_path):
    (tmp_path / "audit").mkdir()
    (tmp_path / "audit" / "_field_changes.html").write_text(
        "<p>shared partial: {{ field_changes|length }} change(s)</p>"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    client, user = _login()
    patient = _register(user)
    services.patient_update(actor=user, patient=patient, data={"city": "Shelbyville"})
    body = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "<p>shared partial: 1 change(s)</p>" in body


def test_search_results_run_a_constant_number_of_queries():
    client, _user = _login()

    def make(last: str, count: int) -> None:
        for _ in range(count):
            patient = PatientFactory(last_name=last, last_name_key=last.lower())
            PatientPhoneFactory(patient=patient)
            CoverageFactory(patient=patient, priority=1, plan=PlanFactory())

    make("Zzonly", 1)
    make("Zzmany", 5)
    url = reverse("patients:search_results")
    client.post(url, {"q": "zzonly"})  # warm up
    with CaptureQueriesContext(connection) as one:
        assert "Zzonly" in client.post(url, {"q": "zzonly"}).content.decode()
    with CaptureQueriesContext(connection) as five:
        body = client.post(url, {"q": "zzmany"}).content.decode()
    assert body.count("Zzmany, ") == 5
    # The search itself may take a fuzzy second pass when few rows match directly, so one hit can
    # cost more than five; rendering more rows must never cost more (no query per row).
    assert len(five.captured_queries) <= len(one.captured_queries)


def test_merge_can_keep_the_other_record():
    client, manager = _login(Role.PRACTICE_MANAGER)
    this = _register(manager, "Bob", "Zzquux")
    other = _register(manager, "Robert", "Zzquux")
    url = reverse("patients:merge", args=[this.pk])
    response = client.post(
        url, {"other_mrn": other.mrn, "keep": "other", "reason": "dup", "confirmed": "True"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[other.pk])
    this.refresh_from_db()
    assert this.merged_into_id == other.pk


# --- photo ------------------------------------------------------------------------------------


def test_register_with_photo_then_photo_is_shown_and_served_audited():
    client, _user = _login()
    response = client.post(
        reverse("patients:register"), {**_registration_post(), "photo": _png((48, 48))}
    )
    assert response.status_code == 302
    patient = Patient.objects.get(last_name="Zzexampleton")
    assert patient.photo
    assert not patient.photo.name.endswith(".png")  # server-generated name, not the upload's

    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert f'src="{reverse("patients:photo", args=[patient.pk])}"' in page

    before = AuditEvent.objects.count()
    served = client.get(reverse("patients:photo", args=[patient.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"] == f'attachment; filename="patient-photo-{patient.pk}.png"'
    rows = list(
        AuditEvent.objects.filter(sequence__gt=before).values_list(
            "action", "category", "patient_id", "object_type"
        )
    )
    assert rows == [("read", "demographics", patient.pk, "patient_photo")]


def test_photo_that_is_not_an_image_is_refused_beside_the_field_and_nothing_saved():
    client, _user = _login()
    fake = io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    fake.name = "face.png"
    response = client.post(reverse("patients:register"), {**_registration_post(), "photo": fake})
    assert response.status_code == 400
    assert _error_beside(
        response.content.decode(),
        "id_photo",
        "The file is not an image we can read (use JPEG or PNG).",
    )
    assert Patient.objects.count() == 0


def test_edit_without_a_new_photo_keeps_the_photo_on_file():
    client, _user = _login()
    client.post(reverse("patients:register"), {**_registration_post(), "photo": _png()})
    patient = Patient.objects.get(last_name="Zzexampleton")
    stored = patient.photo.name
    response = client.post(
        reverse("patients:edit", args=[patient.pk]), _registration_post(city="Shelbyville")
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.city, patient.photo.name) == ("Shelbyville", stored)


def test_photo_of_a_patient_without_one_is_404():
    client, user = _login()
    patient = _register(user)
    assert client.get(reverse("patients:photo", args=[patient.pk])).status_code == 404
