"""Document work: filed documents keep their work queue, the worklists list them, and what is done
from there (a referral put on file, a records release marked done, outside records received)."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.chartprep.models import Authorization, RecordsRequest
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.documents import review_services as rs
from frontdesk.documents import work_selectors as ws
from frontdesk.documents.choices import FiledBy
from frontdesk.documents.filing import segment_file
from frontdesk.documents.models import Document, InboxPage
from frontdesk.documents.tests.review_samples import chart_document, review_item, segment
from tests.factories import LocationFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

NPI = "1234567893"  # the standard's own example of a valid NPI


@pytest.fixture
def clerk(make_user, location):  # type: ignore[no-untyped-def]
    return make_user(Role.FRONT_DESK, location)


@pytest.fixture
def nurse(make_user, location):  # type: ignore[no-untyped-def]
    return make_user(Role.NURSE, location)


def _work(patient, location, doc_type="referral", queue="referrals", **fields):  # type: ignore[no-untyped-def]
    document = chart_document(patient, location, title=f"Zz {doc_type}", doc_type=doc_type)
    Document.objects.filter(pk=document.pk).update(work_queue=queue, **fields)
    document.refresh_from_db()
    return document


def _audits(object_type: str) -> list[tuple[str, str, dict]]:
    return list(
        AuditEvent.objects.filter(object_type=object_type)
        .order_by("sequence")
        .values_list("action", "object_id", "detail")
    )


def _open_request(patient, source="Zz Valley Lab"):  # type: ignore[no-untyped-def]
    return RecordsRequest.objects.create(
        patient=patient,
        requested_from=source,
        requested_at=timezone.now() - dt.timedelta(days=3),
        requested_by=UserFactory(),
    )


# --- Filing keeps the queue ---------------------------------------------------------------------


def test_filing_by_a_person_copies_the_segments_work_queue(clerk, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    item = review_item(location, pages=1)
    part = segment(item, doc_type="referral", work_queue="referrals")

    document = rs.segment_accept(
        actor=clerk, segment_id=part.pk, patient_id=patient.pk, doc_type="referral"
    )

    document.refresh_from_db()
    assert (document.work_queue, document.work_done_at, document.work_done_by_id) == (
        "referrals",
        None,
        None,
    )
    filed = AuditEvent.objects.get(object_type="document", action="create")
    assert filed.detail["work_queue"] == "referrals"


def test_filing_keeps_a_queue_chosen_in_review_and_a_queue_taken_off(clerk, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    item = review_item(location, pages=2)
    chosen = segment(item, page_indexes=[0], doc_type="lab_result")
    dropped = segment(item, position=1, page_indexes=[1], doc_type="referral")

    first = rs.segment_accept(
        actor=clerk,
        segment_id=chosen.pk,
        patient_id=patient.pk,
        doc_type="lab_result",
        work_queue="records_release",
    )
    second = rs.segment_accept(
        actor=clerk,
        segment_id=dropped.pk,
        patient_id=patient.pk,
        doc_type="referral",
        work_queue="",
    )

    assert Document.objects.get(pk=first.pk).work_queue == "records_release"
    assert Document.objects.get(pk=second.pk).work_queue == ""


def test_the_pipelines_filing_copies_the_queue_and_another_type_routes_by_that_type(location):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    item = review_item(location, pages=2)
    routed = segment(
        item, page_indexes=[0], doc_type="records_request", work_queue="records_release"
    )
    retyped = segment(item, position=1, page_indexes=[1], doc_type="lab_result")

    one = segment_file(
        actor=None,
        segment_id=routed.pk,
        patient_id=patient.pk,
        doc_type="records_request",
        filed_by=FiledBy.MATCH,
    )
    two = segment_file(
        actor=None,
        segment_id=retyped.pk,
        patient_id=patient.pk,
        doc_type="referral",
        filed_by=FiledBy.MATCH,
    )

    assert (one.work_queue, two.work_queue) == ("records_release", "referrals")


# --- Constraints --------------------------------------------------------------------------------


def test_work_done_needs_its_time_and_its_person_together(clerk, location):  # type: ignore[no-untyped-def]
    document = _work(PatientFactory(), location)
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(work_done_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(work_done_by=clerk)


def test_work_is_done_only_in_a_known_queue(clerk, location):  # type: ignore[no-untyped-def]
    document = _work(PatientFactory(), location)
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(work_queue="billing")
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(
            work_queue="", work_done_at=timezone.now(), work_done_by=clerk
        )


# --- The data migration -------------------------------------------------------------------------


def test_the_migration_routes_filed_documents_by_segment_else_by_type(location):  # type: ignore[no-untyped-def]
    from django.apps import apps

    migration = importlib.import_module("frontdesk.documents.migrations.0004_document_work_queue")
    patient = PatientFactory()
    item = review_item(location, pages=3)
    loose = chart_document(patient, location, doc_type="records_request")
    lab = chart_document(patient, location, doc_type="lab_result")
    opted_out = chart_document(patient, location, doc_type="referral")
    chosen = chart_document(patient, location, doc_type="consult_note")
    for position, (document, queue) in enumerate(((opted_out, ""), (chosen, "referrals"))):
        segment(
            item,
            position=position,
            page_indexes=[position],
            doc_type=document.doc_type,
            patient=patient,
            status="filed",
            document=document,
            work_queue=queue,
        )

    migration.route_filed_documents(apps, None)

    queues = dict(Document.objects.values_list("pk", "work_queue"))
    assert (queues[loose.pk], queues[lab.pk], queues[opted_out.pk], queues[chosen.pk]) == (
        "records_release",
        "",
        "",
        "referrals",
    )
    assert not Document.objects.filter(work_done_at__isnull=False).exists()


# --- Mark done and reopen -----------------------------------------------------------------------


def test_mark_done_records_who_when_and_the_note_and_audits_no_note(clerk, location):  # type: ignore[no-untyped-def]
    document = _work(PatientFactory(), location, "records_request", "records_release")

    done = rs.document_work_done(
        actor=clerk, document_id=document.pk, note="  Sent to  Zz Law office  "
    )

    done.refresh_from_db()
    assert (done.work_done_by_id, done.work_note, done.work_reference) == (
        clerk.pk,
        "Sent to Zz Law office",
        "",
    )
    assert done.work_done_at is not None
    assert _audits("document") == [
        (
            "update",
            str(document.pk),
            {
                "event": "work_done",
                "work_queue": "records_release",
                "reference": "",
                "noted": True,
            },
        )
    ]
    with pytest.raises(ValidationFailed) as again:
        rs.document_work_done(actor=clerk, document_id=document.pk)
    assert again.value.code == "work_done"


def test_mark_done_refuses_a_document_in_no_queue_and_a_long_note(clerk, location):  # type: ignore[no-untyped-def]
    document = chart_document(PatientFactory(), location)
    with pytest.raises(ValidationFailed) as none:
        rs.document_work_done(actor=clerk, document_id=document.pk)
    assert none.value.code == "no_work_queue"
    queued = _work(PatientFactory(), location)
    with pytest.raises(ValidationFailed) as long:
        rs.document_work_done(actor=clerk, document_id=queued.pk, note="x" * 501)
    assert long.value.fields == {"note": ["Keep the note to 500 characters."]}
    assert not Document.objects.filter(work_done_at__isnull=False).exists()


def test_reopen_puts_it_back_and_the_audit_keeps_what_was_done(clerk, location):  # type: ignore[no-untyped-def]
    document = _work(PatientFactory(), location)
    rs.document_work_done(actor=clerk, document_id=document.pk, note="Zz dealt with by phone")

    reopened = rs.document_work_reopen(actor=clerk, document_id=document.pk)

    reopened.refresh_from_db()
    assert (
        reopened.work_queue,
        reopened.work_done_at,
        reopened.work_done_by_id,
        reopened.work_note,
    ) == ("referrals", None, None, "")
    assert _audits("document")[-1] == (
        "update",
        str(document.pk),
        {
            "event": "work_reopened",
            "work_queue": "referrals",
            "reference": "",
            "done_by_id": clerk.pk,
        },
    )
    with pytest.raises(ValidationFailed) as twice:
        rs.document_work_reopen(actor=clerk, document_id=document.pk)
    assert twice.value.code == "work_open"


def test_work_needs_document_file_and_the_documents_location(make_user, location):  # type: ignore[no-untyped-def]
    document = _work(PatientFactory(), location)
    provider = make_user(Role.PROVIDER, location)  # views documents, files none
    with pytest.raises(PermissionDenied):
        rs.document_work_done(actor=provider, document_id=document.pk)
    elsewhere = make_user(Role.FRONT_DESK, LocationFactory())
    with pytest.raises(NotFound):
        rs.document_work_done(actor=elsewhere, document_id=document.pk)
    with pytest.raises(NotFound):
        rs.document_work_reopen(actor=elsewhere, document_id=document.pk)
    with pytest.raises(NotFound):
        rs.document_referral_record(
            actor=elsewhere,
            document_id=document.pk,
            data={"valid_from": dt.date(2026, 3, 1)},
        )
    assert Document.objects.get(pk=document.pk).work_done_at is None
    assert Authorization.objects.count() == 0


# --- Record referral ----------------------------------------------------------------------------


def test_record_referral_puts_it_on_file_and_marks_the_work_done(clerk, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    document = _work(patient, location)

    authorization = rs.document_referral_record(
        actor=clerk,
        document_id=document.pk,
        data={
            "referring_provider_name": "Zz Dr Referrer",
            "referring_provider_npi": NPI,
            "number": "REF-77",
            "valid_from": dt.date(2026, 3, 1),
            "valid_until": dt.date(2026, 8, 31),
            "units_approved": 6,
            "note": "Zz six visits",
        },
    )

    authorization.refresh_from_db()
    assert (
        authorization.patient_id,
        authorization.kind,
        authorization.status,
        authorization.referring_provider_name,
        authorization.referring_provider_npi,
        authorization.number,
        authorization.valid_from,
        authorization.valid_until,
        authorization.units_approved,
        authorization.units_used,
        authorization.note,
        authorization.created_by_id,
    ) == (
        patient.pk,
        "referral",
        "active",
        "Zz Dr Referrer",
        NPI,
        "REF-77",
        dt.date(2026, 3, 1),
        dt.date(2026, 8, 31),
        6,
        0,
        f"From chart document #{document.pk}",
        clerk.pk,
    )
    document.refresh_from_db()
    assert (document.work_done_by_id, document.work_note, document.work_reference) == (
        clerk.pk,
        "Zz six visits",
        f"authorization:{authorization.pk}",
    )
    assert [a[2]["event"] for a in _audits("authorization")] == ["authorization_added"]
    assert _audits("document")[-1][2] == {
        "event": "work_done",
        "work_queue": "referrals",
        "reference": f"authorization:{authorization.pk}",
        "noted": True,
    }


def test_record_referral_writes_nothing_when_chart_prep_refuses(clerk, location):  # type: ignore[no-untyped-def]
    document = _work(PatientFactory(), location)
    with pytest.raises(ValidationFailed) as refused:
        rs.document_referral_record(
            actor=clerk,
            document_id=document.pk,
            data={
                "referring_provider_npi": "1234567890",
                "valid_from": dt.date(2026, 3, 1),
                "valid_until": dt.date(2026, 2, 1),
            },
        )
    assert refused.value.fields == {
        "valid_until": ["The end date must be on or after the start date."],
        "referring_provider_npi": ["That NPI is not valid (10 digits with a correct check digit)."],
    }
    assert Authorization.objects.count() == 0
    assert Document.objects.get(pk=document.pk).work_done_at is None


def test_record_referral_only_from_the_referrals_worklist_and_with_authorization_edit(
    clerk, nurse, location
):  # type: ignore[no-untyped-def]
    release = _work(PatientFactory(), location, "records_request", "records_release")
    with pytest.raises(ValidationFailed) as wrong:
        rs.document_referral_record(
            actor=clerk, document_id=release.pk, data={"valid_from": dt.date(2026, 3, 1)}
        )
    assert wrong.value.code == "wrong_work_queue"
    referral = _work(PatientFactory(), location)
    with pytest.raises(PermissionDenied):  # the nurse files documents but keeps no authorizations
        rs.document_referral_record(
            actor=nurse, document_id=referral.pk, data={"valid_from": dt.date(2026, 3, 1)}
        )
    assert Authorization.objects.count() == 0


# --- Outside records received -------------------------------------------------------------------


def test_a_result_marks_the_patients_open_records_request_received(clerk, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    request = _open_request(patient)
    document = chart_document(patient, location, doc_type="lab_result")

    received = rs.document_records_received(
        actor=clerk, document_id=document.pk, records_request_id=request.pk
    )

    received.refresh_from_db()
    assert (received.received_by_id, received.received_at is not None) == (clerk.pk, True)
    document.refresh_from_db()
    assert (document.work_reference, document.work_done_at) == (
        f"records_request:{request.pk}",
        None,
    )
    assert _audits("document") == [
        (
            "update",
            str(document.pk),
            {"event": "records_request_received", "records_request_id": request.pk},
        )
    ]
    assert [a[2]["event"] for a in _audits("records_request")] == ["records_received"]


def test_records_received_only_for_the_documents_patient_and_a_records_type(clerk, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    theirs = _open_request(PatientFactory())
    document = chart_document(patient, location, doc_type="consult_note")
    with pytest.raises(NotFound):
        rs.document_records_received(
            actor=clerk, document_id=document.pk, records_request_id=theirs.pk
        )
    mine = _open_request(patient)
    card = chart_document(patient, location, doc_type="insurance_card")
    with pytest.raises(ValidationFailed) as not_records:
        rs.document_records_received(actor=clerk, document_id=card.pk, records_request_id=mine.pk)
    assert not_records.value.code == "not_records"
    assert RecordsRequest.objects.filter(received_at__isnull=False).count() == 0


# --- The worklist selector ----------------------------------------------------------------------


def test_worklist_lists_open_documents_oldest_first_at_the_actors_locations(clerk, location):  # type: ignore[no-untyped-def]
    now = timezone.now()
    old_item = review_item(location, pages=1, received_at=now - dt.timedelta(days=5))
    new_item = review_item(location, pages=1, received_at=now - dt.timedelta(days=1))
    patient = PatientFactory()
    newer = _work(patient, location, source_item=new_item)
    older = _work(patient, location, source_item=old_item)
    done = _work(PatientFactory(), location, work_done_at=now, work_done_by=clerk)
    _work(PatientFactory(), location, "records_request", "records_release")
    _work(PatientFactory(), LocationFactory())  # another location's referral
    chart_document(PatientFactory(), location, doc_type="referral")  # in no queue

    rows = ws.document_worklist(actor=clerk, queue="referrals", now=now)

    assert [(r.document.pk, r.age_days) for r in rows] == [(older.pk, 5), (newer.pk, 1)]
    assert _audits("document_worklist") == [
        (
            "read",
            "referrals",
            {
                "work_queue": "referrals",
                "done": False,
                "location_id": None,
                "rows": 2,
                "patients_shown": [patient.pk],
            },
        )
    ]
    # Every row is one patient's: the list is a read of that patient.
    assert AuditEvent.objects.get(object_type="document_worklist").patient_id == patient.pk
    done_rows = ws.document_worklist(actor=clerk, queue="referrals", done=True)
    assert [r.document.pk for r in done_rows] == [done.pk]
    assert ws.work_counts(actor=clerk) == {"records_release": 1, "referrals": 2}


def test_worklist_filters_one_of_the_actors_locations(make_user, location):  # type: ignore[no-untyped-def]
    second = LocationFactory()
    manager = make_user(Role.PRACTICE_MANAGER)  # every location
    here = _work(PatientFactory(), location)
    there = _work(PatientFactory(), second)

    everywhere = ws.document_worklist(actor=manager, queue="referrals", audit=False)
    one = ws.document_worklist(actor=manager, queue="referrals", location_id=second.pk, audit=False)

    assert sorted(r.document.pk for r in everywhere) == sorted([here.pk, there.pk])
    assert [r.document.pk for r in one] == [there.pk]
    assert ws.work_counts(actor=manager, location_id=location.pk) == {
        "records_release": 0,
        "referrals": 1,
    }


def test_referral_prefill_takes_the_sender_the_pipeline_read(location):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    item = review_item(location, pages=2)
    InboxPage.objects.filter(item=item, index=1).update(
        identifiers={"sender": "Zz Hillside Family Practice"}
    )
    part = segment(item, doc_type="referral", work_queue="referrals")
    document = segment_file(
        actor=None,
        segment_id=part.pk,
        patient_id=patient.pk,
        doc_type="referral",
        document_date=dt.date(2026, 2, 3),
        filed_by=FiledBy.MATCH,
    )

    assert ws.referral_prefill(document=document) == {
        "referring_provider_name": "Zz Hillside Family Practice",
        "valid_from": dt.date(2026, 2, 3),
    }
