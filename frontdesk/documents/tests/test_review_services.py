"""Review-queue writes: update, split, merge, rotate, delete pages/parts/items, sign-off, versions."""

from __future__ import annotations

import datetime as dt

import pytest

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.documents import review_services as rs
from frontdesk.documents.choices import ItemStatus, SegmentStatus
from frontdesk.documents.models import DocumentVersion, InboxItem, InboxPage, InboxSegment
from frontdesk.documents.tests import samples
from frontdesk.documents.tests.review_samples import (
    chart_document,
    review_item,
    segment,
    suggestion,
)
from frontdesk.patients.normalize import name_search_columns
from tests.factories import LocationFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _audits(object_type: str) -> list[tuple[str, str, dict]]:
    return list(
        AuditEvent.objects.filter(object_type=object_type)
        .order_by("sequence")
        .values_list("action", "object_id", "detail")
    )


@pytest.fixture
def clerk(make_user, location):  # type: ignore[no-untyped-def]
    return make_user(Role.FRONT_DESK, location)


@pytest.fixture
def nurse(make_user, location):  # type: ignore[no-untyped-def]
    return make_user(Role.NURSE, location)


def test_update_changes_the_fields_given_routes_by_type_and_audits_field_names(
    clerk, nurse, location
):  # type: ignore[no-untyped-def]
    item = review_item(location)
    part = segment(item)
    patient = PatientFactory()

    updated = rs.segment_update(
        actor=clerk,
        segment_id=part.pk,
        doc_type="records_request",
        title="  Zz   request  ",
        document_date=dt.date(2026, 3, 4),
        patient_id=patient.pk,
        urgent=True,
        assigned_to_id=nurse.pk,
    )

    part.refresh_from_db()
    assert (
        part.doc_type,
        part.title,
        part.document_date,
        part.patient_id,
        part.urgent,
        part.assigned_to_id,
        part.work_queue,
    ) == (
        "records_request",
        "Zz request",
        dt.date(2026, 3, 4),
        patient.pk,
        True,
        nurse.pk,
        "records_release",
    )
    assert updated.pk == part.pk
    [(action, object_id, detail)] = _audits("inbox_segment")
    assert (action, object_id) == ("update", str(part.pk))
    assert detail == {
        "item_id": item.pk,
        "fields": [
            "assigned_to",
            "doc_type",
            "document_date",
            "patient",
            "title",
            "urgent",
            "work_queue",
        ],
    }
    assert AuditEvent.objects.get(object_type="inbox_segment").patient_id == patient.pk

    rs.segment_update(actor=clerk, segment_id=part.pk, doc_type="referral")
    part.refresh_from_db()
    assert part.work_queue == "referrals"
    rs.segment_update(
        actor=clerk, segment_id=part.pk, doc_type="lab_result", work_queue="referrals"
    )
    part.refresh_from_db()
    assert (part.doc_type, part.work_queue) == ("lab_result", "referrals")


def test_update_without_a_change_writes_no_audit(clerk, location):  # type: ignore[no-untyped-def]
    part = segment(review_item(location), doc_type="lab_result")
    rs.segment_update(actor=clerk, segment_id=part.pk, doc_type="lab_result", work_queue="")
    assert _audits("inbox_segment") == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"doc_type": "poem"}, "doc_type"),
        ({"title": "x" * 201}, "title"),
        ({"work_queue": "elsewhere"}, "work_queue"),
        ({"document_date": dt.date.today() + dt.timedelta(days=3)}, "date"),
    ],
)
def test_update_refuses_bad_values(clerk, location, kwargs, field):  # type: ignore[no-untyped-def]
    part = segment(review_item(location))
    with pytest.raises(ValidationFailed) as caught:
        rs.segment_update(actor=clerk, segment_id=part.pk, **kwargs)
    assert caught.value.field == field


def test_update_refuses_an_assignee_who_does_not_sign_and_a_hidden_patient(clerk, location):  # type: ignore[no-untyped-def]
    part = segment(review_item(location))
    with pytest.raises(ValidationFailed) as caught:
        rs.segment_update(actor=clerk, segment_id=part.pk, assigned_to_id=clerk.pk)
    assert caught.value.field == "assigned_to"
    hidden = PatientFactory(is_restricted=True)
    with pytest.raises(ValidationFailed) as caught:
        rs.segment_update(actor=clerk, segment_id=part.pk, patient_id=hidden.pk)
    assert caught.value.field == "patient"


def test_a_filed_part_is_not_changed_again(clerk, location):  # type: ignore[no-untyped-def]
    item = review_item(location)
    patient = PatientFactory()
    document = chart_document(patient, location)
    part = segment(item, patient=patient, status=SegmentStatus.FILED, document=document)
    with pytest.raises(ValidationFailed) as caught:
        rs.segment_update(actor=clerk, segment_id=part.pk, title="again")
    assert caught.value.code == "already_filed"
    assert f"chart document #{document.pk}" in caught.value.message


def test_scope_and_role(make_user, location):  # type: ignore[no-untyped-def]
    part = segment(review_item(location))
    elsewhere = make_user(Role.FRONT_DESK, LocationFactory())
    with pytest.raises(NotFound):
        rs.segment_update(actor=elsewhere, segment_id=part.pk, title="x")
    provider = make_user(Role.PROVIDER, location)
    with pytest.raises(PermissionDenied):
        rs.segment_update(actor=provider, segment_id=part.pk, title="x")


def _named(first: str, last: str, dob: dt.date):  # type: ignore[no-untyped-def]
    return PatientFactory(
        first_name=first, last_name=last, date_of_birth=dob, **name_search_columns(first, last)
    )


def _names_on_pages(item: InboxItem, patients: dict[int, object]) -> None:
    """Give pages the identifiers the pipeline would have read: each page names its patient."""
    for index, person in patients.items():
        InboxPage.objects.filter(item=item, index=index).update(
            identifiers={
                "names": [{"first": person.first_name, "last": person.last_name}],  # type: ignore[attr-defined]
                "dobs": [person.date_of_birth.isoformat()],  # type: ignore[attr-defined]
            }
        )


def test_split_makes_a_second_part_after_it_and_moves_later_parts(clerk, location):  # type: ignore[no-untyped-def]
    item = review_item(location, pages=5)
    patient = _named("Adalind", "Zzpemberton", dt.date(1955, 6, 7))
    other = _named("Borislav", "Zzquenneville", dt.date(1966, 9, 10))
    _names_on_pages(item, {0: patient, 1: other, 2: other, 3: other})
    first = segment(
        item,
        position=0,
        page_indexes=[0, 1, 2, 3],
        patient=patient,
        suggestions=[suggestion(patient, 0.8, "name")],
        urgent=True,
    )
    last = segment(item, position=1, page_indexes=[4])

    new = rs.segment_split(actor=clerk, segment_id=first.pk, at_page_position=1)

    first.refresh_from_db()
    last.refresh_from_db()
    assert [(s.pk, s.position, s.page_indexes, s.patient_id) for s in item.segments.all()] == [
        (first.pk, 0, [0], patient.pk),
        (new.pk, 1, [1, 2, 3], None),
        (last.pk, 2, [4], None),
    ]
    # Each part is matched again from its own pages: the split-off part is the other patient's.
    assert (new.doc_type, new.urgent, new.status) == ("lab_result", True, "review")
    assert [s["patient_id"] for s in first.suggestions] == [patient.pk]
    assert [s["patient_id"] for s in new.suggestions] == [other.pk, patient.pk]
    assert new.suggestions[1] == suggestion(patient, 0.8, "name")  # what the packet suggested
    assert new.suggestions[0]["reasons"][:2] == ["name matches", "date of birth matches"]
    [(_, object_id, detail)] = _audits("inbox_segment")
    assert (object_id, detail) == (
        str(first.pk),
        {"item_id": item.pk, "event": "split", "new_segment_id": new.pk, "pages": [1, 4]},
    )


@pytest.mark.parametrize("at", [0, 2, -1, "x"])
def test_split_must_fall_between_two_pages(clerk, location, at):  # type: ignore[no-untyped-def]
    part = segment(review_item(location))
    with pytest.raises(ValidationFailed) as caught:
        rs.segment_split(actor=clerk, segment_id=part.pk, at_page_position=at)
    assert caught.value.field == "at_page_position"


def test_merge_appends_the_other_parts_pages_and_removes_it(clerk, location):  # type: ignore[no-untyped-def]
    item = review_item(location, pages=3)
    patient = _named("Adalind", "Zzpemberton", dt.date(1955, 6, 7))
    first = segment(item, position=0, page_indexes=[0])
    second = segment(item, position=1, page_indexes=[1, 2], patient=patient, urgent=True)
    _names_on_pages(item, {1: patient})

    merged = rs.segment_merge(actor=clerk, segment_id=first.pk, other_segment_id=second.pk)

    assert (merged.page_indexes, merged.patient_id, merged.urgent) == ([0, 1, 2], patient.pk, True)
    assert [s["patient_id"] for s in merged.suggestions] == [patient.pk]
    assert list(item.segments.values_list("pk", flat=True)) == [first.pk]
    [(_, _, detail)] = _audits("inbox_segment")
    assert detail == {"item_id": item.pk, "event": "merge", "merged_segment_id": second.pk}


def test_merge_only_within_one_item(clerk, location):  # type: ignore[no-untyped-def]
    first = segment(review_item(location))
    other = segment(review_item(location, text="Another letter"))
    with pytest.raises(ValidationFailed) as caught:
        rs.segment_merge(actor=clerk, segment_id=first.pk, other_segment_id=other.pk)
    assert caught.value.field == "other"
    with pytest.raises(ValidationFailed):
        rs.segment_merge(actor=clerk, segment_id=first.pk, other_segment_id=first.pk)


def test_rotate_adds_to_the_rotation(clerk, location):  # type: ignore[no-untyped-def]
    item = review_item(location)
    segment(item)
    assert rs.page_rotate(actor=clerk, item_id=item.pk, index=1, degrees=90).rotation == 90
    assert rs.page_rotate(actor=clerk, item_id=item.pk, index=1, degrees=-90).rotation == 0
    assert rs.page_rotate(actor=clerk, item_id=item.pk, index=1, degrees=180).rotation == 180
    assert rs.page_rotate(actor=clerk, item_id=item.pk, index=1, degrees=270).rotation == 90
    assert [d["rotation"] for _, _, d in _audits("inbox_page")] == [90, 0, 180, 90]
    with pytest.raises(ValidationFailed) as caught:
        rs.page_rotate(actor=clerk, item_id=item.pk, index=1, degrees=45)
    assert caught.value.field == "degrees"
    with pytest.raises(NotFound):
        rs.page_rotate(actor=clerk, item_id=item.pk, index=7, degrees=90)


def test_delete_and_restore_a_page_but_not_the_parts_last(clerk, location):  # type: ignore[no-untyped-def]
    item = review_item(location)
    segment(item)
    assert rs.page_delete(actor=clerk, item_id=item.pk, index=0).deleted is True
    with pytest.raises(ValidationFailed) as caught:
        rs.page_delete(actor=clerk, item_id=item.pk, index=1)
    assert caught.value.code == "last_page"
    assert rs.page_restore(actor=clerk, item_id=item.pk, index=0).deleted is False
    assert list(InboxPage.objects.filter(item=item).values_list("deleted", flat=True)) == [
        False,
        False,
    ]
    assert [(a, d["deleted"]) for a, _, d in _audits("inbox_page")] == [
        ("delete", True),
        ("update", False),
    ]


def test_pages_of_a_filed_item_stay_as_they_are(clerk, location):  # type: ignore[no-untyped-def]
    item = review_item(location)
    InboxItem.objects.filter(pk=item.pk).update(status=ItemStatus.FILED)
    with pytest.raises(ValidationFailed) as caught:
        rs.page_rotate(actor=clerk, item_id=item.pk, index=0, degrees=90)
    assert caught.value.code == "not_in_review"


def test_deleting_every_part_deletes_the_item_and_a_filed_one_files_it(clerk, location):  # type: ignore[no-untyped-def]
    item = review_item(location)
    part = segment(item)
    rs.segment_delete(actor=clerk, segment_id=part.pk)
    item.refresh_from_db()
    assert (item.status, item.deleted_reason) == ("deleted", "Every part was deleted in review.")

    other = review_item(location, text="Second letter")
    patient = PatientFactory()
    segment(
        other,
        position=0,
        page_indexes=[0],
        patient=patient,
        status=SegmentStatus.FILED,
        document=chart_document(patient, location),
    )
    cover = segment(other, position=1, page_indexes=[1])
    rs.segment_delete(actor=clerk, segment_id=cover.pk)
    other.refresh_from_db()
    assert other.status == "filed"


def test_item_delete_keeps_the_bytes_and_needs_a_reason(clerk, location):  # type: ignore[no-untyped-def]
    item = review_item(location)
    part = segment(item)
    with pytest.raises(ValidationFailed) as caught:
        rs.item_delete(actor=clerk, item_id=item.pk, reason="  ")
    assert caught.value.field == "reason"

    rs.item_delete(actor=clerk, item_id=item.pk, reason="Junk fax")

    item.refresh_from_db()
    part.refresh_from_db()
    assert (item.status, item.deleted_reason, part.status) == ("deleted", "Junk fax", "deleted")
    assert item.blob.stored_name != ""
    assert _audits("inbox_item")[-1] == ("delete", str(item.pk), {"segments_deleted": 1})
    with pytest.raises(ValidationFailed) as caught:
        rs.item_delete(actor=clerk, item_id=item.pk, reason="again")
    assert caught.value.code == "deleted"


def test_item_delete_refuses_once_a_part_is_filed(clerk, location):  # type: ignore[no-untyped-def]
    item = review_item(location)
    patient = PatientFactory()
    segment(
        item,
        patient=patient,
        status=SegmentStatus.FILED,
        document=chart_document(patient, location),
    )
    with pytest.raises(ValidationFailed) as caught:
        rs.item_delete(actor=clerk, item_id=item.pk, reason="oops")
    assert caught.value.code == "already_filed"


def test_sign_off_once_by_the_assignee(make_user, location, nurse):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    other_nurse = make_user(Role.NURSE, location)
    document = chart_document(patient, location, assigned_to=nurse)
    with pytest.raises(PermissionDenied):
        rs.document_sign_off(actor=other_nurse, document_id=document.pk)
    clerk = make_user(Role.FRONT_DESK, location)
    with pytest.raises(PermissionDenied):
        rs.document_sign_off(actor=clerk, document_id=document.pk)

    signed = rs.document_sign_off(actor=nurse, document_id=document.pk)

    assert (signed.signed_off_by_id, signed.signed_off_at is not None) == (nurse.pk, True)
    event = AuditEvent.objects.get(object_type="document")
    assert (event.action, event.patient_id, event.detail) == (
        "update",
        patient.pk,
        {"event": "signed_off"},
    )
    with pytest.raises(ValidationFailed) as caught:
        rs.document_sign_off(actor=nurse, document_id=document.pk)
    assert caught.value.code == "signed_off"


def test_new_version_adds_n_plus_one_and_keeps_the_first(clerk, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    document = chart_document(patient, location)
    first_blob = document.versions.get().blob_id
    corrected = samples.pdf(pages=2, text="Corrected Zzscan result")

    version = rs.document_new_version(
        actor=clerk,
        document_id=document.pk,
        data=corrected,
        reason="Rescanned straight",
        name="c.pdf",
    )

    assert (version.number, version.pages, version.reason, version.created_by_id) == (
        2,
        2,
        "Rescanned straight",
        clerk.pk,
    )
    assert "Corrected Zzscan result" in version.text
    assert list(
        DocumentVersion.objects.filter(document=document).values_list("number", "blob_id")
    ) == [(1, first_blob), (2, version.blob_id)]
    event = AuditEvent.objects.get(object_type="document_version")
    assert (event.action, event.patient_id, event.detail["number"], event.detail["pages"]) == (
        "create",
        patient.pk,
        2,
        2,
    )


def test_new_version_refuses_bad_content_and_no_reason(clerk, location):  # type: ignore[no-untyped-def]
    document = chart_document(PatientFactory(), location)
    with pytest.raises(ValidationFailed) as caught:
        rs.document_new_version(actor=clerk, document_id=document.pk, data=samples.HTML, reason="x")
    assert (caught.value.field, caught.value.code) == ("file", "markup")
    with pytest.raises(ValidationFailed) as caught:
        rs.document_new_version(actor=clerk, document_id=document.pk, data=samples.pdf(), reason="")
    assert caught.value.field == "reason"
    assert document.versions.count() == 1


def test_a_second_person_indexing_the_same_part_is_told_it_is_done(clerk, make_user, location):  # type: ignore[no-untyped-def]
    """The row lock serialises the two; the second finds it deleted (or filed) and is told so."""
    part = segment(review_item(location))
    rs.segment_delete(actor=clerk, segment_id=part.pk)
    second = make_user(Role.FRONT_DESK, location)
    with pytest.raises(ValidationFailed) as caught:
        rs.segment_update(actor=second, segment_id=part.pk, title="mine")
    assert caught.value.code == "deleted"
    assert InboxSegment.objects.get(pk=part.pk).title == ""


def test_reassign_moves_a_misfiled_document_and_audits_both_patients(clerk, location):  # type: ignore[no-untyped-def]
    wrong, right = PatientFactory(), PatientFactory()
    item = review_item(location)
    document = chart_document(wrong, location)
    part = segment(item, patient=wrong, status=SegmentStatus.FILED, document=document)

    rs.document_reassign(actor=clerk, document_id=document.pk, patient_id=right.pk)

    document.refresh_from_db()
    part.refresh_from_db()
    assert (document.patient_id, part.patient_id) == (right.pk, right.pk)
    rows = list(
        AuditEvent.objects.filter(object_type="document").values_list("patient_id", "detail")
    )
    moved = {"from_patient_id": wrong.pk, "to_patient_id": right.pk}
    assert rows == [
        (wrong.pk, {"event": "reassigned_away", **moved}),
        (right.pk, {"event": "reassigned_here", **moved}),
    ]
    with pytest.raises(ValidationFailed) as caught:
        rs.document_reassign(actor=clerk, document_id=document.pk, patient_id=right.pk)
    assert caught.value.field == "patient"
