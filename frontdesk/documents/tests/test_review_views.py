"""The review screens and the chart's documents over HTTP: what they show, what they audit, what
each form does (without JavaScript), the headers of pictures and downloads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.documents.models import Document, InboxItem, InboxPage, InboxSegment
from frontdesk.documents.tests import samples
from frontdesk.documents.tests.review_samples import (
    chart_document,
    review_item,
    segment,
    suggestion,
)
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _audit_rows() -> list[tuple[str, str, str]]:
    """Audit rows other than the arrivals' own (document_receive audits each fax)."""
    return list(
        AuditEvent.objects.exclude(object_type="inbox_item", action="create")
        .order_by("sequence")
        .values_list("action", "object_type", "object_id")
    )


@pytest.fixture
def clerk(make_user, location):  # type: ignore[no-untyped-def]
    return make_user(Role.FRONT_DESK, location)


@pytest.fixture
def packet(location):  # type: ignore[no-untyped-def]
    item = review_item(location, pages=3)
    first = PatientFactory(first_name="Zzalpha", last_name="Testone")
    second = PatientFactory(first_name="Zzbeta", last_name="Testtwo")
    part = segment(
        item,
        suggestions=[
            suggestion(first, 0.93, "name", "date of birth"),
            suggestion(second, 0.4, "name"),
        ],
    )
    return item, part, first, second


def test_queue_lists_parts_without_patient_names_and_audits_nothing(client, clerk, packet):  # type: ignore[no-untyped-def]
    _item, part, first, _ = packet
    client.force_login(clerk)
    response = client.get("/documents/review/")
    assert response.status_code == 200
    assert [s.pk for s in response.context["segments"]] == [part.pk]
    html = response.content.decode()
    assert f'href="/documents/review/{part.pk}/"' in html
    assert "2 suggested" in html
    assert first.first_name not in html
    assert _audit_rows() == []
    assert client.get("/documents/review/?type=referral").context["segments"] == []


def test_start_links_to_the_first_part(client, clerk, packet):  # type: ignore[no-untyped-def]
    _, part, _, _ = packet
    client.force_login(clerk)
    response = client.get("/documents/review/?type=lab_result")
    assert response.context["start_url"] == f"/documents/review/{part.pk}/?type=lab_result"
    assert 'id="review-start"' in response.content.decode()


def test_indexing_screen_shows_suggestions_keys_and_audits_one_read(client, clerk, packet):  # type: ignore[no-untyped-def]
    item, part, first, _second = packet
    client.force_login(clerk)

    response = client.get(f"/documents/review/{part.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Testone, Zzalpha" in html and "Testtwo, Zzbeta" in html
    assert "93%" in html and "name, date of birth" in html
    assert f'value="{first.pk}" checked' in html  # the best suggestion is pre-chosen
    assert html.count('<figure id="page-') == 3
    assert f'id="page-next" href="/documents/review/{part.pk}/?page=2"' in html  # no-JS paging
    assert f"/documents/inbox/{item.pk}/page/0.png?r=0" in html
    assert "Split after the page shown" in html and "File and next" in html
    assert 'src="/static/documents/review.js"' in html
    assert _audit_rows() == [("read", "inbox_segment", str(part.pk))]


def test_indexing_screen_search_without_javascript(client, clerk, packet):  # type: ignore[no-untyped-def]
    _, part, _, _ = packet
    other = PatientFactory(first_name="Zzgamma", last_name="Searchme")
    client.force_login(clerk)

    response = client.get(f"/documents/review/{part.pk}/", {"q": "Searchme"})

    assert [h.patient.pk for h in response.context["hits"]] == [other.pk]
    assert "Searchme, Zzgamma" in response.content.decode()
    assert [(a, t) for a, t, _ in _audit_rows()] == [
        ("read", "inbox_segment"),
        ("query", "patient"),
    ]


def test_patient_search_fragment(client, clerk, packet):  # type: ignore[no-untyped-def]
    _, part, _, _ = packet
    PatientFactory(first_name="Zzdelta", last_name="Fragment")
    client.force_login(clerk)
    response = client.get(f"/documents/review/{part.pk}/patients/", {"q": "Fragment"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="patient"' in html and "Fragment, Zzdelta" in html
    assert [(a, t) for a, t, _ in _audit_rows()] == [("query", "patient")]


def test_filing_without_a_patient_says_so_and_files_nothing(client, clerk, location):  # type: ignore[no-untyped-def]
    part = segment(review_item(location))
    client.force_login(clerk)
    response = client.post(
        f"/documents/review/{part.pk}/file/", {"doc_type": "lab_result", "title": "Zz"}
    )
    assert response.status_code == 422
    assert response.context["errors"] == {
        "patient": ["Choose the patient this document belongs to."]
    }
    assert Document.objects.count() == 0
    assert InboxSegment.objects.get(pk=part.pk).status == "review"


def test_save_without_filing(client, clerk, packet):  # type: ignore[no-untyped-def]
    _, part, _, second = packet
    client.force_login(clerk)
    response = client.post(
        f"/documents/review/{part.pk}/file/",
        {
            "action": "save",
            "patient": second.pk,
            "doc_type": "referral",
            "title": "Zz ref",
            "urgent": "1",
        },
    )
    assert (response.status_code, response["Location"]) == (302, f"/documents/review/{part.pk}/")
    part.refresh_from_db()
    assert (part.patient_id, part.doc_type, part.work_queue, part.urgent, part.status) == (
        second.pk,
        "referral",
        "",
        True,
        "review",
    )


def test_split_and_merge_by_plain_posts(client, clerk, packet):  # type: ignore[no-untyped-def]
    item, part, _, _ = packet
    client.force_login(clerk)

    response = client.post(f"/documents/review/{part.pk}/split/", {"at": "1", "type": "lab_result"})

    assert (response.status_code, response["Location"]) == (
        302,
        f"/documents/review/{part.pk}/?type=lab_result",
    )
    first, new = InboxSegment.objects.filter(item=item).order_by("position")
    assert (first.page_indexes, new.page_indexes) == ([0], [1, 2])

    response = client.post(f"/documents/review/{part.pk}/merge/", {"other": new.pk})
    assert response.status_code == 302
    assert list(InboxSegment.objects.filter(item=item).values_list("page_indexes", flat=True)) == [
        [0, 1, 2]
    ]


def test_split_error_is_a_message(client, clerk, packet):  # type: ignore[no-untyped-def]
    _, part, _, _ = packet
    client.force_login(clerk)
    response = client.post(f"/documents/review/{part.pk}/split/", {"at": "3"}, follow=True)
    assert "Split between two pages" in response.content.decode()


def test_rotate_by_htmx_answers_the_page_and_by_post_redirects(client, clerk, packet):  # type: ignore[no-untyped-def]
    item, part, _, _ = packet
    client.force_login(clerk)
    url = f"/documents/inbox/{item.pk}/page/1/rotate/"

    response = client.post(
        url, {"segment": part.pk, "page": 2, "degrees": 90}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="page-1"' in html and "turned 90°" in html and "?r=90" in html
    response = client.post(url, {"segment": part.pk, "page": 2, "degrees": 270})
    assert (response.status_code, response["Location"]) == (
        302,
        f"/documents/review/{part.pk}/?page=2",
    )
    assert InboxPage.objects.get(item=item, index=1).rotation == 0


def test_delete_and_restore_a_page(client, clerk, packet):  # type: ignore[no-untyped-def]
    item, part, _, _ = packet
    client.force_login(clerk)
    url = f"/documents/inbox/{item.pk}/page/2/delete/"
    response = client.post(url, {"segment": part.pk, "page": 3}, HTTP_HX_REQUEST="true")
    assert "Restore page" in response.content.decode()
    assert InboxPage.objects.get(item=item, index=2).deleted is True
    client.post(url, {"segment": part.pk, "page": 3, "restore": "1"})
    assert InboxPage.objects.get(item=item, index=2).deleted is False


def test_delete_part_and_item(client, clerk, location):  # type: ignore[no-untyped-def]
    item = review_item(location)
    part = segment(item)
    client.force_login(clerk)
    response = client.post(f"/documents/review/{part.pk}/delete/")
    assert (response.status_code, response["Location"]) == (302, "/documents/review/")
    assert InboxItem.objects.get(pk=item.pk).status == "deleted"

    other = review_item(location, text="Junk fax")
    segment(other)
    response = client.post(f"/documents/inbox/{other.pk}/delete/", {"reason": "Junk fax"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert (other.status, other.deleted_reason) == ("deleted", "Junk fax")


def test_provider_may_look_but_not_file(client, make_user, location, packet):  # type: ignore[no-untyped-def]
    _, part, _, _ = packet
    provider = make_user(Role.PROVIDER, location)
    client.force_login(provider)
    assert client.get(f"/documents/review/{part.pk}/").status_code == 200
    assert client.post(f"/documents/review/{part.pk}/split/", {"at": 1}).status_code == 403


def test_patient_documents_page_audits_one_read_and_searches(client, clerk, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory(first_name="Zzchart", last_name="Person")
    lab = chart_document(patient, location, title="Zz lipid panel", text="Cholesterol fine")
    chart_document(patient, location, title="Zz chest film", doc_type="imaging_report")
    client.force_login(clerk)

    response = client.get(f"/documents/patient/{patient.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Person, Zzchart" in html and "Zz lipid panel" in html and "Zz chest film" in html
    assert "Imaging report" in html
    assert _audit_rows() == [("read", "patient_documents", str(patient.pk))]
    response = client.get(f"/documents/patient/{patient.pk}/", {"q": "cholesterol"})
    assert [d.pk for d in response.context["chart"].documents] == [lab.pk]


def test_document_page_viewers_sign_off_and_new_version(client, make_user, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory()
    nurse = make_user(Role.NURSE, location, first_name="Zz", last_name="Signer")
    document = chart_document(patient, location, assigned_to=nurse)
    client.force_login(nurse)

    response = client.get(f"/documents/document/{document.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Sign off" in html
    assert [v.name for v in response.context["viewers"]] == ["Zz Signer"]
    assert f"/documents/document/{document.pk}/v1/page/0.png" in html

    response = client.post(f"/documents/document/{document.pk}/sign/")
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.signed_off_by_id == nurse.pk

    clerk = make_user(Role.FRONT_DESK, location)
    client.force_login(clerk)
    upload = SimpleUploadedFile("fixed.pdf", samples.pdf(pages=2, text="Zz fixed"))
    response = client.post(
        f"/documents/document/{document.pk}/versions/", {"file": upload, "reason": "Straightened"}
    )
    assert response.status_code == 302
    assert list(document.versions.values_list("number", "pages", "reason")) == [
        (1, 1, ""),
        (2, 2, "Straightened"),
    ]
    bad = SimpleUploadedFile("bad.pdf", samples.HTML)
    response = client.post(
        f"/documents/document/{document.pk}/versions/", {"file": bad, "reason": "x"}
    )
    assert response.status_code == 422
    assert document.versions.count() == 2


def test_version_download_and_page_picture_headers(client, clerk, location):  # type: ignore[no-untyped-def]
    document = chart_document(PatientFactory(), location)
    client.force_login(clerk)

    download = client.get(f"/documents/document/{document.pk}/v1/")
    inline = client.get(f"/documents/document/{document.pk}/v1/?inline=1")
    picture = client.get(f"/documents/document/{document.pk}/v1/page/0.png")

    assert (download.status_code, download["Content-Type"]) == (200, "application/pdf")
    assert (
        download["Content-Disposition"] == f'attachment; filename="document-{document.pk}-v1.pdf"'
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert inline["Content-Disposition"].startswith("inline;")
    assert (picture.status_code, picture["Content-Type"]) == (200, "image/png")
    assert picture.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert (picture["X-Content-Type-Options"], picture["Cache-Control"]) == (
        "nosniff",
        "no-store",  # the middleware's, on every dynamic answer
    )
    assert client.get(f"/documents/document/{document.pk}/v1/page/1.png").status_code == 404
    assert client.get(f"/documents/document/{document.pk}/v2/").status_code == 404
    events = list(
        AuditEvent.objects.filter(object_type="document").values_list("detail__event", flat=True)
    )
    assert events == ["download", "open", "preview"]
    actions = AuditEvent.objects.filter(object_type="document").values_list("action", "patient_id")
    patient_id = document.patient_id
    assert list(actions) == [("export", patient_id), ("read", patient_id), ("read", None)]


def test_other_locations_documents_are_404(client, make_user, location):  # type: ignore[no-untyped-def]
    patient = PatientFactory(is_restricted=True)
    document = chart_document(patient, location)
    clerk = make_user(Role.FRONT_DESK, location)
    client.force_login(clerk)
    assert client.get(f"/documents/document/{document.pk}/").status_code == 404
    assert client.get(f"/documents/patient/{patient.pk}/").status_code == 404


def test_enter_files_to_the_chosen_patient_and_opens_the_next_part(client, clerk, location, packet):  # type: ignore[no-untyped-def]
    item, part, first, _ = packet
    later = segment(review_item(location, text="Later fax"))
    client.force_login(clerk)

    response = client.post(
        f"/documents/review/{part.pk}/file/",
        {"patient": first.pk, "doc_type": "lab_result", "title": "Zz panel", "urgent": "1"},
    )

    assert (response.status_code, response["Location"]) == (302, f"/documents/review/{later.pk}/")
    part.refresh_from_db()
    document = part.document
    assert (part.status, document.patient_id, document.doc_type, document.title) == (
        "filed",
        first.pk,
        "lab_result",
        "Zz panel",
    )
    assert (document.urgent, document.filed_by, document.filed_by_user_id) == (
        True,
        "person",
        clerk.pk,
    )
    assert InboxItem.objects.get(pk=item.pk).status == "filed"

    again = client.post(
        f"/documents/review/{part.pk}/file/", {"patient": first.pk, "doc_type": "lab_result"}
    )
    assert again.status_code == 409
    assert "already filed" in again.context["error"]
    assert Document.objects.count() == 1


def test_inbox_page_picture(client, clerk, packet):  # type: ignore[no-untyped-def]
    item, _, _, _ = packet
    client.force_login(clerk)
    response = client.get(f"/documents/inbox/{item.pk}/page/2.png")
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(f"/documents/inbox/{item.pk}/page/3.png").status_code == 404
    assert _audit_rows() == [("read", "inbox_item", str(item.pk))]
    assert AuditEvent.objects.filter(object_type="inbox_item", action="read").get().detail == {
        "blob_id": item.blob_id,
        "page": 2,
        "preview": True,
    }


def test_move_a_misfiled_document_by_mrn(client, clerk, location):  # type: ignore[no-untyped-def]
    wrong, right = PatientFactory(), PatientFactory()
    document = chart_document(wrong, location)
    client.force_login(clerk)
    response = client.post(f"/documents/document/{document.pk}/reassign/", {"mrn": "nobody"})
    assert response.status_code == 422
    assert response.context["error"] == "No patient you can see has that MRN."
    response = client.post(f"/documents/document/{document.pk}/reassign/", {"mrn": right.mrn})
    assert (response.status_code, response["Location"]) == (
        302,
        f"/documents/document/{document.pk}/",
    )
    document.refresh_from_db()
    assert document.patient_id == right.pk


def test_a_page_action_refused_by_htmx_says_why_above_the_pages(client, clerk, location):  # type: ignore[no-untyped-def]
    item = review_item(location)
    part = segment(item)
    client.force_login(clerk)
    client.post(f"/documents/inbox/{item.pk}/page/0/delete/", {"segment": part.pk, "page": 1})
    response = client.post(
        f"/documents/inbox/{item.pk}/page/1/delete/",
        {"segment": part.pk, "page": 2},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#review-flash", "innerHTML")
    assert "delete the whole part instead" in response.content.decode()
