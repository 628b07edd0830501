"""The "Document work" screens over HTTP: the worklist, Record referral, Mark done / Reopen, and the
chart document's work panel with the patient's open records requests; and the whole flow from a
referral arriving to the referral on file."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.chartprep.models import Authorization, RecordsRequest
from frontdesk.documents.models import Document
from frontdesk.documents.tests.review_samples import chart_document, review_item, segment
from tests.factories import LocationFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

NPI = "1234567893"


@pytest.fixture
def clerk(make_user, location):  # type: ignore[no-untyped-def]
    return make_user(Role.FRONT_DESK, location)


def _referral(patient, location, **fields):  # type: ignore[no-untyped-def]
    document = chart_document(patient, location, title="Zz referral letter", doc_type="referral")
    Document.objects.filter(pk=document.pk).update(work_queue="referrals", **fields)
    document.refresh_from_db()
    return document


def test_the_worklist_shows_open_documents_with_patient_and_age_and_audits_one_read(
    client, clerk, location
):  # type: ignore[no-untyped-def]
    patient = PatientFactory(first_name="Zzalpha", last_name="Testone")
    document = _referral(patient, location)
    _referral(PatientFactory(), LocationFactory())
    client.force_login(clerk)

    response = client.get("/documents/work/?queue=referrals")

    assert response.status_code == 200
    assert [row["r"].document.pk for row in response.context["rows"]] == [document.pk]
    html = response.content.decode()
    assert f"Testone, Z. · MRN {patient.mrn}" in html
    assert f'href="/documents/document/{document.pk}/"' in html
    assert f'href="/documents/document/{document.pk}/work/referral/?next=' in html
    assert "Referrals (1 open)" in html and "Records release (0 open)" in html
    reads = AuditEvent.objects.filter(object_type="document_worklist")
    assert list(reads.values_list("action", "object_id", "actor_id")) == [
        ("read", "referrals", clerk.pk)
    ]


def test_the_worklist_ignores_an_unknown_queue_and_a_location_not_the_users(
    client, clerk, location
):  # type: ignore[no-untyped-def]
    other = LocationFactory()
    client.force_login(clerk)
    response = client.get(f"/documents/work/?queue=billing&location={other.pk}")
    assert (response.status_code, response.context["queue"], response.context["location_id"]) == (
        200,
        "referrals",
        None,
    )


def test_mark_done_from_the_worklist_goes_back_to_it(client, clerk, location):  # type: ignore[no-untyped-def]
    document = _referral(PatientFactory(), location)
    client.force_login(clerk)
    back = "/documents/work/?queue=referrals"

    response = client.post(
        f"/documents/document/{document.pk}/work/done/", {"note": "Zz by phone", "next": back}
    )

    assert (response.status_code, response["Location"]) == (302, back)
    document.refresh_from_db()
    assert (document.work_done_by_id, document.work_note) == (clerk.pk, "Zz by phone")
    listed = client.get(back).context["rows"]
    assert listed == []
    done = client.get(back + "&state=done").context["rows"]
    assert [row["r"].document.pk for row in done] == [document.pk]


def test_an_outside_next_is_never_followed_and_reopen_goes_to_the_document(client, clerk, location):  # type: ignore[no-untyped-def]
    document = _referral(
        PatientFactory(), location, work_done_at=timezone.now(), work_done_by=clerk
    )
    client.force_login(clerk)
    response = client.post(
        f"/documents/document/{document.pk}/work/reopen/", {"next": "https://example.com/"}
    )
    assert (response.status_code, response["Location"]) == (
        302,
        f"/documents/document/{document.pk}/",
    )
    assert Document.objects.get(pk=document.pk).work_done_at is None


def test_work_on_another_locations_document_is_not_found(client, make_user, location):  # type: ignore[no-untyped-def]
    document = _referral(PatientFactory(), location)
    client.force_login(make_user(Role.FRONT_DESK, LocationFactory()))
    assert client.post(f"/documents/document/{document.pk}/work/done/").status_code == 404
    assert client.get(f"/documents/document/{document.pk}/work/referral/").status_code == 404
    assert Document.objects.get(pk=document.pk).work_done_at is None


def test_a_nurse_may_not_record_a_referral(client, make_user, location):  # type: ignore[no-untyped-def]
    document = _referral(PatientFactory(), location)
    client.force_login(make_user(Role.NURSE, location))
    assert client.get(f"/documents/document/{document.pk}/work/referral/").status_code == 403


def test_the_referral_form_says_what_is_wrong_and_writes_nothing(client, clerk, location):  # type: ignore[no-untyped-def]
    document = _referral(PatientFactory(), location)
    client.force_login(clerk)
    response = client.post(
        f"/documents/document/{document.pk}/work/referral/",
        {"valid_from": "2026-03-01", "valid_until": "2026-02-01", "referring_provider_npi": "12"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "valid_until": ["The end date must be on or after the start date."],
        "referring_provider_npi": ["That NPI is not valid (10 digits with a correct check digit)."],
    }
    assert Authorization.objects.count() == 0


def test_the_referral_form_of_a_document_not_waiting_says_so(client, clerk, location):  # type: ignore[no-untyped-def]
    document = _referral(
        PatientFactory(), location, work_done_at=timezone.now(), work_done_by=clerk
    )
    client.force_login(clerk)
    response = client.get(f"/documents/document/{document.pk}/work/referral/")
    assert response.status_code == 409
    assert "This document is not waiting on the referrals worklist." in response.content.decode()


def test_the_chart_document_shows_its_queue_and_the_patients_open_records_requests(
    client, clerk, location
):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    request = RecordsRequest.objects.create(
        patient=patient,
        requested_from="Zz Valley Lab",
        requested_at=timezone.now() - dt.timedelta(days=2),
        requested_by=UserFactory(),
    )
    result = chart_document(patient, location, doc_type="lab_result")
    client.force_login(clerk)

    html = client.get(f"/documents/document/{result.pk}/").content.decode()
    assert "Mark the records request from Zz Valley Lab received" in html
    response = client.post(f"/documents/document/{result.pk}/work/records/{request.pk}/received/")

    assert (response.status_code, response["Location"]) == (
        302,
        f"/documents/document/{result.pk}/",
    )
    request.refresh_from_db()
    assert request.received_by_id == clerk.pk
    html = client.get(f"/documents/document/{result.pk}/").content.decode()
    assert f"Answered records request #{request.pk}." in html
    assert "Mark the records request from" not in html

    referral = _referral(patient, location)
    html = client.get(f"/documents/document/{referral.pk}/").content.decode()
    assert "Referrals worklist: open" in html
    assert f'href="/documents/document/{referral.pk}/work/referral/"' in html


def test_a_referral_from_arrival_to_the_referral_on_file(client, clerk, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory(first_name="Zzgamma", last_name="Testthree")
    item = review_item(location, pages=1, text="Zz referral letter")
    part = segment(item, doc_type="referral", work_queue="referrals", patient=patient)
    client.force_login(clerk)

    filed = client.post(
        f"/documents/review/{part.pk}/file/",
        {"patient": patient.pk, "doc_type": "referral", "work_queue": "referrals"},
    )
    assert filed.status_code == 302
    document = Document.objects.get(patient=patient)
    assert document.work_queue == "referrals"

    worklist = client.get("/documents/work/?queue=referrals")
    assert [row["r"].document.pk for row in worklist.context["rows"]] == [document.pk]

    back = "/documents/work/?queue=referrals"
    recorded = client.post(
        f"/documents/document/{document.pk}/work/referral/",
        {
            "referring_provider_name": "Zz Dr Referrer",
            "referring_provider_npi": NPI,
            "number": "REF-9",
            "valid_from": "2026-03-01",
            "valid_until": "2026-09-01",
            "units_approved": "4",
            "note": "",
            "next": back,
        },
    )

    assert (recorded.status_code, recorded["Location"]) == (302, back)
    authorization = Authorization.objects.get(patient=patient)
    assert (
        authorization.kind,
        authorization.number,
        authorization.referring_provider_npi,
        authorization.units_approved,
        authorization.valid_from,
        authorization.valid_until,
    ) == ("referral", "REF-9", NPI, 4, dt.date(2026, 3, 1), dt.date(2026, 9, 1))
    document.refresh_from_db()
    assert document.work_reference == f"authorization:{authorization.pk}"
    assert client.get(back).context["rows"] == []


def test_the_worklist_runs_the_same_queries_for_one_row_and_for_four(client, clerk, location):  # type: ignore[no-untyped-def]
    _referral(PatientFactory(), location)
    _referral(PatientFactory(), location)
    client.force_login(clerk)
    client.get("/documents/work/?queue=referrals")  # the session warmed up
    with CaptureQueriesContext(connection) as two:
        assert len(client.get("/documents/work/?queue=referrals").context["rows"]) == 2
    for _ in range(3):
        _referral(PatientFactory(), location)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get("/documents/work/?queue=referrals").context["rows"]) == 5
    assert len(five.captured_queries) == len(two.captured_queries)
