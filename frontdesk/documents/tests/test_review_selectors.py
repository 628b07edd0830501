"""Review and chart reads: the queue's order and filters, one part with its suggestions (one audit
row), a patient's documents with search, viewers from the audit log, version bytes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import NotFound
from frontdesk.documents import review_selectors as sel
from frontdesk.documents.tests.review_samples import (
    chart_document,
    review_item,
    segment,
    suggestion,
)
from tests.factories import LocationFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _reads() -> list[str]:
    """Audit rows other than the arrivals' own (document_receive audits each fax)."""
    return list(
        AuditEvent.objects.exclude(object_type="inbox_item").values_list("object_type", flat=True)
    )


@pytest.fixture
def clerk(make_user, location):  # type: ignore[no-untyped-def]
    return make_user(Role.FRONT_DESK, location)


def test_queue_is_urgent_first_then_oldest_in_page_order(clerk, make_user, location):  # type: ignore[no-untyped-def]
    now = timezone.now()
    old = review_item(location, received_at=now - dt.timedelta(hours=3))
    new = review_item(location, text="Newer letter", received_at=now - dt.timedelta(hours=1))
    hot_item = review_item(location, text="Hot fax", received_at=now, urgent=True)
    old_b = segment(old, position=1, page_indexes=[1])
    old_a = segment(old, position=0, page_indexes=[0])
    new_a = segment(new, urgent=True)
    hot = segment(hot_item)
    done = segment(review_item(location, text="Gone"), status="deleted")
    elsewhere = segment(review_item(LocationFactory(), text="Other place"))

    queue = list(sel.review_queue(actor=clerk))

    assert [s.pk for s in queue] == [new_a.pk, hot.pk, old_a.pk, old_b.pk]
    assert done.pk not in [s.pk for s in queue] and elsewhere.pk not in [s.pk for s in queue]
    assert sel.review_next(actor=clerk, after=new_a.pk).pk == hot.pk
    assert _reads() == []


def test_queue_filters(clerk, make_user, location):  # type: ignore[no-untyped-def]
    nurse = make_user(Role.NURSE, location)
    item = review_item(location, pages=3)
    request = segment(item, position=0, page_indexes=[0], doc_type="records_request")
    request.work_queue = "records_release"
    request.save()
    referral = segment(item, position=1, page_indexes=[1], doc_type="referral", assigned_to=nurse)
    mine = segment(item, position=2, page_indexes=[2], assigned_to=clerk)

    def pks(**filters):  # type: ignore[no-untyped-def]
        return [s.pk for s in sel.review_queue(actor=clerk, **filters)]

    assert pks(doc_type="referral") == [referral.pk]
    assert pks(work_queue="records_release") == [request.pk]
    assert pks(assigned="me") == [mine.pk]
    assert pks(assigned="none") == [request.pk]
    assert pks(assigned=str(nurse.pk)) == [referral.pk]
    assert pks(location_id=location.pk) == [request.pk, referral.pk, mine.pk]


def test_one_part_shows_visible_suggestions_and_audits_one_read(clerk, location):  # type: ignore[no-untyped-def]
    item = review_item(location, pages=3)
    first = PatientFactory(last_name="Zzfirst")
    second = PatientFactory(last_name="Zzsecond")
    hidden = PatientFactory(is_restricted=True)
    part = segment(
        item,
        page_indexes=[2, 0],
        suggestions=[
            suggestion(first, 0.93, "name", "date of birth"),
            suggestion(hidden, 0.9, "name"),
            {"patient_id": "junk"},
            suggestion(second, 0.41, "name"),
        ],
    )
    other = segment(item, position=1, page_indexes=[1])

    review = sel.segment_review_get(actor=clerk, segment_id=part.pk)

    assert [p.index for p in review.pages] == [2, 0]
    assert [(s.patient.pk, s.score, s.reasons) for s in review.suggestions] == [
        (first.pk, 0.93, ["name", "date of birth"]),
        (second.pk, 0.41, ["name"]),
    ]
    assert review.patient is None
    assert review.next_segment.pk == other.pk
    [event] = AuditEvent.objects.exclude(object_type="inbox_item")
    assert (event.action, event.object_type, event.object_id, event.patient_id, event.detail) == (
        "read",
        "inbox_segment",
        str(part.pk),
        first.pk,
        {"item_id": item.pk, "patients_shown": sorted([first.pk, second.pk])},
    )


def test_one_part_out_of_scope_is_not_found(make_user, location):  # type: ignore[no-untyped-def]
    part = segment(review_item(location))
    outsider = make_user(Role.FRONT_DESK, LocationFactory())
    with pytest.raises(NotFound):
        sel.segment_review_get(actor=outsider, segment_id=part.pk)
    assert _reads() == []


def test_patient_documents_by_category_with_search(clerk, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    lab = chart_document(
        patient, location, title="Zz lipid panel", text="Cholesterol 180 Zzlabcorp"
    )
    xray = chart_document(
        patient,
        location,
        title="Zz chest film",
        doc_type="imaging_report",
        text="No acute findings",
        document_date=dt.date(2026, 1, 2),
    )
    older_lab = chart_document(
        patient, location, title="Zz older panel", text="Glucose", document_date=dt.date(2025, 5, 1)
    )
    chart_document(PatientFactory(), location, title="Zz someone else", text="Cholesterol")

    everything = sel.patient_documents(actor=clerk, patient_id=patient.pk)

    assert everything.categories == [
        ("lab_result", "Lab result", 2),
        ("imaging_report", "Imaging report", 1),
    ]
    assert [d.pk for d in everything.documents] == [lab.pk, older_lab.pk, xray.pk]
    assert everything.total == 3
    assert [
        d.pk
        for d in sel.patient_documents(
            actor=clerk, patient_id=patient.pk, doc_type="imaging_report"
        ).documents
    ] == [xray.pk]

    def found(query: str) -> list[int]:
        return [
            d.pk
            for d in sel.patient_documents(
                actor=clerk, patient_id=patient.pk, query=query
            ).documents
        ]

    assert found("cholesterol") == [lab.pk]
    assert found("CHOLESTEROL zzlabcorp") == [lab.pk]
    assert found("cholesterol glucose") == []
    assert found("panel") == [lab.pk, older_lab.pk]
    assert found("acute") == [xray.pk]
    assert found("") == [lab.pk, older_lab.pk, xray.pk]
    events = list(
        AuditEvent.objects.filter(object_type="patient_documents").values_list(
            "patient_id", "detail"
        )
    )
    assert events[0] == (patient.pk, {"doc_type": "", "searched": False, "results": 3})
    assert len(events) == 8


def test_document_get_audits_a_view_and_viewers_come_from_the_audit_log(clerk, make_user, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    document = chart_document(patient, location)
    nurse = make_user(Role.NURSE, location, first_name="Zz", last_name="Nurse")
    sel.document_get(actor=clerk, document_id=document.pk)
    sel.document_get(actor=nurse, document_id=document.pk)
    version, data = sel.document_version_read(actor=clerk, document_id=document.pk, number=1)

    assert (version.number, data[:5]) == (1, b"%PDF-")
    viewers = sel.document_viewers(actor=clerk, document_id=document.pk)
    assert [(v.actor_id, v.views) for v in viewers] == [(clerk.pk, 2), (nurse.pk, 1)]
    assert viewers[1].name == "Zz Nurse"
    reads = list(
        AuditEvent.objects.filter(object_type="document").values_list(
            "actor_id", "patient_id", "detail"
        )
    )
    assert reads == [
        (clerk.pk, patient.pk, {"event": "view"}),
        (nurse.pk, patient.pk, {"event": "view"}),
        (clerk.pk, patient.pk, {"event": "download", "version": 1, "blob_id": version.blob_id}),
    ]
    with pytest.raises(NotFound):
        sel.document_version_read(actor=clerk, document_id=document.pk, number=2)


def test_documents_out_of_scope_are_not_found(make_user, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory(is_restricted=True)
    document = chart_document(patient, location)
    clerk = make_user(Role.FRONT_DESK, location)
    with pytest.raises(NotFound):
        sel.document_get(actor=clerk, document_id=document.pk)
    with pytest.raises(NotFound):
        sel.patient_documents(actor=clerk, patient_id=patient.pk)
    assert _reads() == []


def test_documents_to_sign(make_user, location):  # type: ignore[no-untyped-def]
    nurse = make_user(Role.NURSE, location)
    mine = chart_document(PatientFactory(), location, assigned_to=nurse)
    chart_document(PatientFactory(), location)
    assert [d.pk for d in sel.documents_to_sign(actor=nurse)] == [mine.pk]


def test_postgresql_answers_a_word_search_from_the_text_index() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the full-text index is PostgreSQL's (other databases search with icontains)")
    sql, params = sel._version_matches("glucose").values("document_id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "documents_version_text_fts" in plan
