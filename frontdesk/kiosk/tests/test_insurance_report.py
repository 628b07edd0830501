"""Structured insurance changes from the kiosk: reported on the tablet (with card photos), reviewed side
by side, applied through the patients' coverage services (unverified), or rejected with a reason."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from frontdesk.audit.models import AuditEvent, FieldChange
from frontdesk.core.errors import ValidationFailed
from frontdesk.kiosk.models import KioskChangeRequest
from frontdesk.kiosk.services import kiosk_change_apply, kiosk_change_reject
from frontdesk.patients.models import Coverage, Patient
from tests.factories import PayerFactory

pytestmark = pytest.mark.django_db


def _png(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _photo(name: str, colour: str = "red") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _png(colour), content_type="image/png")


def _start(tablet: Client) -> None:
    tablet.post("/kiosk/", {"last_name": "Nunez-Testwell", "date_of_birth": "1970-03-04"})
    tablet.post("/kiosk/confirm/", {"answer": "changed"})


def _staff(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def payers(patient_appt: Any) -> dict[str, Any]:
    current = Coverage.objects.get(patient=patient_appt.patient)
    return {
        "current": current.payer,
        "new": PayerFactory(name="Example Mutual Health", payer_id="EXMUT1"),
        "retired": PayerFactory(name="Example Gone Plan", payer_id="EXGONE", is_active=False),
    }


def test_the_tablet_offers_active_payers_other_and_the_camera(tablet, device, payers):
    _start(tablet)
    page = tablet.get("/kiosk/update/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert f'<option value="{payers["new"].pk}">Example Mutual Health</option>' in page
    assert "Example Gone Plan" not in page
    assert '<option value="other">Other (not in this list)</option>' in page
    for value, label in (
        ("self", "Me"),
        ("spouse", "My spouse"),
        ("child", "My parent (I am their child)"),
        ("other", "Someone else"),
    ):
        assert f'<option value="{value}">{label}</option>' in page
    assert (
        '<input id="f-card-front" name="card_front" type="file" accept="image/*" '
        'capture="environment">'
    ) in page


def test_report_is_queued_structured_and_never_touches_the_record(
    tablet, device, patient_appt, payers
):
    _start(tablet)
    response = tablet.post(
        "/kiosk/update/",
        {
            "ins_payer": str(payers["new"].pk),
            "ins_member_id": " EXM 0042 ",
            "ins_group_number": "GRP-7",
            "ins_holder": "spouse",
            "ins_sub_first_name": "Zeno",
            "ins_sub_last_name": "Nunez-Testwell",
            "ins_sub_dob": "1968-11-02",
            "card_front": _photo("front.png"),
            "card_back": _photo("back.png", "blue"),
        },
    )
    assert response.status_code == 302 and response["Location"] == "/kiosk/consents/"
    change = KioskChangeRequest.objects.get()
    assert change.fields == {
        "insurance": {
            "payer_id": payers["new"].pk,
            "payer_name": "Example Mutual Health",
            "payer_other": False,
            "member_id": "EXM 0042",
            "group_number": "GRP-7",
            "holder": "spouse",
            "relationship": "01",
            "subscriber_first_name": "Zeno",
            "subscriber_last_name": "Nunez-Testwell",
            "subscriber_date_of_birth": "1968-11-02",
        }
    }
    assert change.card_front.name.startswith("kiosk/cards/")
    assert change.card_front.read() == _png()
    assert change.card_back.read() == _png("blue")
    coverage = Coverage.objects.get(patient=patient_appt.patient)
    assert (coverage.payer, coverage.member_id, bool(coverage.card_front)) == (
        payers["current"],
        "ZZ99887766",
        False,
    )
    event = AuditEvent.objects.get(detail__event="kiosk_change_reported")
    assert event.category == "insurance"
    assert event.detail["card_photos"] == ["card_back", "card_front"]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"ins_member_id": "X1"},
            {"ins_payer": "Choose your insurance company (or Other, and type its name)."},
        ),
        (
            {"ins_payer": "other", "ins_member_id": "X1"},
            {"ins_payer_other": "Type the name of your insurance company."},
        ),
        (
            {"ins_payer": "999999", "ins_member_id": "X1"},
            {"ins_payer": "Choose your insurance company from the list."},
        ),
        (
            {"ins_payer": "other", "ins_payer_other": "Example Coop"},
            {"ins_member_id": "Enter the member ID from your insurance card."},
        ),
        (
            {
                "ins_payer": "other",
                "ins_payer_other": "Example Coop",
                "ins_member_id": "X1",
                "ins_holder": "child",
                "ins_sub_dob": "2999-01-01",
            },
            {
                "ins_sub_first_name": "Enter the first name of the insurance holder.",
                "ins_sub_last_name": "Enter the last name of the insurance holder.",
                "ins_sub_dob": "Enter the insurance holder's date of birth.",
            },
        ),
    ],
)
def test_bad_insurance_input_is_refused_field_by_field(
    tablet, device, patient_appt, payers, data, errors
):
    _start(tablet)
    response = tablet.post("/kiosk/update/", data)
    assert response.status_code == 400
    page = response.content.decode()
    for message in errors.values():
        assert message.replace("'", "&#x27;") in page
    assert not KioskChangeRequest.objects.exists()


def test_a_card_photo_must_be_an_image_like_a_coverage_card(tablet, device, patient_appt, payers):
    _start(tablet)
    fake = SimpleUploadedFile("card.jpg", b"not an image at all", content_type="image/jpeg")
    response = tablet.post(
        "/kiosk/update/",
        {"ins_payer": str(payers["new"].pk), "ins_member_id": "X1", "card_front": fake},
    )
    assert response.status_code == 400
    assert "The file is not an image we can read (use JPEG or PNG)." in response.content.decode()
    assert not KioskChangeRequest.objects.exists()


def _report(tablet: Client, **data: Any) -> KioskChangeRequest:
    _start(tablet)
    response = tablet.post("/kiosk/update/", data)
    assert response.status_code == 302, response.content.decode()
    return KioskChangeRequest.objects.latest("pk")


def test_queue_shows_on_file_and_reported_side_by_side(tablet, device, patient_appt, payers, clerk):
    change = _report(
        tablet,
        ins_payer=str(payers["new"].pk),
        ins_member_id="EXM0042",
        ins_group_number="GRP-7",
        card_front=_photo("front.png"),
    )
    staff = _staff(clerk)
    page = staff.get("/kiosk/changes/").content.decode()
    current = payers["current"].name
    assert (
        f"<tr><td>Insurance company</td><td>{current}</td><td>Example Mutual Health</td></tr>"
        in page
    )
    assert "<tr><td>Member ID</td><td>ZZ99887766</td><td>EXM0042</td></tr>" in page
    assert "<tr><td>Group number</td><td>—</td><td>GRP-7</td></tr>" in page
    assert (
        "<tr><td>Relationship to the insurance holder</td><td>Self</td><td>Self</td></tr>" in page
    )
    assert "<tr><td>Card photos</td><td>—</td><td>front</td></tr>" in page
    assert f'<option value="{payers["new"].pk}" selected>' in page
    read = AuditEvent.objects.filter(detail__view="kiosk_changes").get()
    assert read.category == "insurance" and read.patient_id == patient_appt.patient_id

    card = staff.get(f"/kiosk/changes/{change.pk}/card/front/")
    assert card.status_code == 200
    assert card["Content-Type"] == "image/png"
    assert card["X-Content-Type-Options"] == "nosniff"
    assert card["Content-Disposition"] == (
        f'attachment; filename="kiosk-card-{change.pk}-front.png"'
    )
    assert b"".join(card.streaming_content) == _png()
    assert AuditEvent.objects.filter(object_type="kiosk_change_card").count() == 1
    assert staff.get(f"/kiosk/changes/{change.pk}/card/back/").status_code == 404
    assert staff.get(f"/kiosk/changes/{change.pk}/card/side/").status_code == 404


def test_apply_same_payer_updates_the_coverage_unverified(
    tablet, device, patient_appt, payers, clerk
):
    change = _report(
        tablet,
        ins_payer=str(payers["current"].pk),
        ins_member_id="ZZ11112222",
        ins_group_number="G-9",
        card_front=_photo("front.png"),
    )
    coverage = Coverage.objects.get(patient=patient_appt.patient)
    response = _staff(clerk).post(f"/kiosk/changes/{change.pk}/apply/", follow=True)
    assert (
        f"Change #{change.pk} applied. The coverage is not verified: confirm the card at check-in."
        in response.content.decode()
    )
    coverage.refresh_from_db()
    assert (coverage.member_id, coverage.member_id_key, coverage.group_number) == (
        "ZZ11112222",
        "zz11112222",
        "G-9",
    )
    assert coverage.card_front.name.startswith("patients/cards/")
    assert coverage.card_front.read() == _png()
    assert Coverage.objects.filter(patient=patient_appt.patient).count() == 1
    change.refresh_from_db()
    assert (change.status, change.coverage_id, change.reviewed_by) == (
        "applied",
        coverage.pk,
        clerk,
    )
    history = dict(
        FieldChange.objects.filter(object_type="coverage", object_id=str(coverage.pk)).values_list(
            "field", "new_value"
        )
    )
    assert history == {
        "member_id": "ZZ11112222",
        "group_number": "G-9",
        "card_front": "image on file",
    }
    applied = AuditEvent.objects.get(detail__event="kiosk_change_applied")
    assert applied.detail == {
        "event": "kiosk_change_applied",
        "fields": ["insurance"],
        "coverage_id": coverage.pk,
        "coverage_verified": False,
    }
    # The desk sees it as not verified at check-in.
    panel = (
        _staff(clerk).get(f"/front-desk/appointments/{patient_appt.pk}/check-in/").content.decode()
    )
    assert "Not verified since it changed on 12/07/2026: check the card." in panel


def test_apply_another_payer_ends_the_old_primary_and_adds_the_new(
    tablet, device, patient_appt, payers, clerk
):
    change = _report(
        tablet,
        ins_payer=str(payers["new"].pk),
        ins_member_id="EXM0042",
        ins_holder="child",
        ins_sub_first_name="Paz",
        ins_sub_last_name="Nunez-Testwell",
        ins_sub_dob="1950-06-30",
        city="Shelbyville",
    )
    old = Coverage.objects.get(patient=patient_appt.patient)
    kiosk_change_apply(actor=clerk, change=change)
    old.refresh_from_db()
    assert (old.status, old.terminates_on) == ("cancelled", dt.date(2026, 12, 6))
    new = Coverage.objects.get(patient=patient_appt.patient, status="active")
    assert (new.payer, new.priority, new.member_id, new.relationship) == (
        payers["new"],
        1,
        "EXM0042",
        "19",
    )
    assert (
        new.subscriber_first_name,
        new.subscriber_last_name,
        new.subscriber_date_of_birth,
    ) == ("Paz", "Nunez-Testwell", dt.date(1950, 6, 30))
    assert Patient.objects.get(pk=patient_appt.patient_id).city == "Shelbyville"
    change.refresh_from_db()
    assert change.coverage == new


def test_other_payer_needs_the_reviewers_pick_and_nothing_is_partial(
    tablet, device, patient_appt, payers, clerk
):
    change = _report(
        tablet,
        ins_payer="other",
        ins_payer_other="Example Coop Health",
        ins_member_id="COOP1",
        city="Shelbyville",
    )
    staff = _staff(clerk)
    page = staff.get("/kiosk/changes/").content.decode()
    assert "<td>Other: Example Coop Health</td>" in page
    assert "the patient typed a company that is not in the list" in page
    response = staff.post(f"/kiosk/changes/{change.pk}/apply/", follow=True)
    assert (
        "The patient reported “Example Coop Health”: choose the payer from the list to apply it."
        in response.content.decode()
    )
    change.refresh_from_db()
    assert change.status == "pending"
    assert Patient.objects.get(pk=patient_appt.patient_id).city == "Springfield"
    with pytest.raises(ValidationFailed, match="no longer active"):
        kiosk_change_apply(actor=clerk, change=change, payer=payers["retired"])
    staff.post(f"/kiosk/changes/{change.pk}/apply/", {"payer": str(payers["new"].pk)})
    change.refresh_from_db()
    assert change.status == "applied"
    assert (
        Coverage.objects.get(patient=patient_appt.patient, status="active").payer == (payers["new"])
    )


def test_apply_without_any_coverage_adds_a_primary(tablet, device, patient_appt, payers, clerk):
    Coverage.objects.filter(patient=patient_appt.patient).update(status="cancelled")
    change = _report(tablet, ins_payer=str(payers["new"].pk), ins_member_id="EXM9")
    kiosk_change_apply(actor=clerk, change=change)
    created = Coverage.objects.get(patient=patient_appt.patient, status="active")
    assert (created.payer, created.priority, created.member_id, created.relationship) == (
        payers["new"],
        1,
        "EXM9",
        "18",
    )


def test_reject_keeps_the_report_and_its_photos(tablet, device, patient_appt, payers, clerk):
    change = _report(
        tablet,
        ins_payer=str(payers["new"].pk),
        ins_member_id="EXM0042",
        card_back=_photo("back.png"),
    )
    kiosk_change_reject(actor=clerk, change=change, reason="Card shown is expired")
    change.refresh_from_db()
    assert (change.status, change.reject_reason) == ("rejected", "Card shown is expired")
    assert change.fields["insurance"]["member_id"] == "EXM0042"
    assert change.card_back.read() == _png()
    coverage = Coverage.objects.get(patient=patient_appt.patient)
    assert (coverage.payer, coverage.member_id) == (payers["current"], "ZZ99887766")


def test_an_insurance_change_needs_coverage_edit(tablet, device, patient_appt, payers, location):
    from frontdesk.accounts.choices import Role
    from frontdesk.core.errors import PermissionDenied
    from tests.factories import UserFactory, assign

    scheduler = assign(UserFactory(role=Role.SCHEDULER), location)
    change = _report(tablet, ins_payer=str(payers["new"].pk), ins_member_id="EXM1")
    with pytest.raises(PermissionDenied):
        kiosk_change_apply(actor=scheduler, change=change)
    change.refresh_from_db()
    assert change.status == "pending"
    page = _staff(scheduler).get("/kiosk/changes/").content.decode()
    assert "Applying an insurance change needs permission to edit coverages." in page
