"""The inbox screens: upload many files, list and filter, one item, the audited download."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.documents.models import InboxItem
from frontdesk.documents.services import document_receive
from frontdesk.documents.tests import samples
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

HTML = b"<!DOCTYPE html><html><body>Zz not a letter</body></html>"


def _receive(user, location, name="letter.pdf", data=None):  # type: ignore[no-untyped-def]
    return document_receive(
        actor=user,
        location=location,
        source="upload",
        name=name,
        data=samples.pdf() if data is None else data,
    )


def _reads() -> list[tuple[str, str, int]]:
    return list(
        AuditEvent.objects.filter(category="documents", action="read")
        .order_by("sequence")
        .values_list("object_id", "outcome", "actor_id")
    )


def test_upload_several_files_says_what_became_of_each(client, make_user, location):  # type: ignore[no-untyped-def]
    clerk = make_user(Role.FRONT_DESK, location)
    client.force_login(clerk)
    letter = samples.pdf(pages=2)
    files = [
        SimpleUploadedFile("Zz letter.pdf", letter, content_type="application/pdf"),
        SimpleUploadedFile("page.html", HTML, content_type="application/pdf"),
        SimpleUploadedFile("again.pdf", letter, content_type="application/pdf"),
        SimpleUploadedFile("scan.png", samples.png(), content_type="image/png"),
    ]

    response = client.post("/documents/upload/", {"location": location.pk, "files": files})

    assert response.status_code == 200
    first, html, again, image = InboxItem.objects.order_by("pk")
    assert [(i.source, i.display_name, i.status, i.received_by_id) for i in (first, image)] == [
        ("upload", "Zz letter.pdf", "received", clerk.pk),
        ("upload", "scan.png", "received", clerk.pk),
    ]
    assert (html.status, html.quarantine_code) == ("quarantined", "markup")
    assert again.duplicate_of_id == first.pk
    summaries = [(o.name, o.summary) for o in response.context["outcomes"]]
    assert summaries == [
        ("Zz letter.pdf", "received"),
        ("page.html", f"quarantined: {html.quarantine_reason}"),
        ("again.pdf", f"duplicate of #{first.pk}"),
        ("scan.png", "received"),
    ]
    body = response.content.decode()
    assert (
        f'again.pdf: <a href="/documents/{again.pk}/">#{again.pk}</a> duplicate of #{first.pk}'
        in body
    )
    assert "page.html: " in body and "quarantined: " in body


def test_upload_without_files_or_location_is_refused(client, make_user, location):  # type: ignore[no-untyped-def]
    client.force_login(make_user(Role.FRONT_DESK, location))
    other = LocationFactory()

    no_files = client.post("/documents/upload/", {"location": location.pk})
    elsewhere = client.post(
        "/documents/upload/",
        {"location": other.pk, "files": [SimpleUploadedFile("a.pdf", samples.pdf())]},
    )

    assert no_files.status_code == 422
    assert no_files.context["upload_error"] == "Choose at least one file to upload."
    assert elsewhere.status_code == 422
    assert elsewhere.context["upload_error"] == (
        "Choose the location whose inbox receives the documents."
    )
    assert InboxItem.objects.count() == 0


def test_the_inbox_lists_newest_first_and_filters_by_status(client, make_user, location):  # type: ignore[no-untyped-def]
    clerk = make_user(Role.FRONT_DESK, location)
    first = _receive(clerk, location, "a.pdf")
    bad = _receive(clerk, location, "b.html", HTML)
    dup = _receive(clerk, location, "c.pdf")
    other = LocationFactory()
    document_receive(actor=None, location=other, source="fax", name="elsewhere.pdf", data=b"%PDF")
    client.force_login(clerk)

    everything = client.get("/documents/", {"location": location.pk})
    quarantined = client.get("/documents/", {"location": location.pk, "status": "quarantined"})
    received = client.get("/documents/", {"location": location.pk, "status": "received"})

    assert [i.pk for i in everything.context["items"]] == [dup.pk, bad.pk, first.pk]
    assert [i.pk for i in quarantined.context["items"]] == [bad.pk]
    assert [i.pk for i in received.context["items"]] == [dup.pk, first.pk]
    body = everything.content.decode()
    assert f"(duplicate of #{first.pk})" in body
    assert f"Quarantined: {bad.quarantine_reason}" in body
    assert "elsewhere.pdf" not in body
    assert _reads() == []  # listing reads no bytes


def test_the_detail_page(client, make_user, location):  # type: ignore[no-untyped-def]
    clerk = make_user(Role.FRONT_DESK, location)
    item = _receive(clerk, location, "Zz letter.pdf", samples.pdf(pages=3))
    client.force_login(clerk)

    response = client.get(f"/documents/{item.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert f"<h1>Inbox item #{item.pk} · Zz letter.pdf</h1>" in body
    assert "<dt>Pages</dt><dd>3</dd>" in body
    assert f"<code>{item.blob.sha256}</code>" in body
    assert f'href="/documents/{item.pk}/download/"' in body
    assert _reads() == []


def test_download_serves_the_original_as_an_attachment(client, make_user, location):  # type: ignore[no-untyped-def]
    clerk = make_user(Role.FRONT_DESK, location)
    data = samples.pdf()
    item = _receive(clerk, location, 'Zz "letter".pdf', data)
    client.force_login(clerk)

    response = client.get(f"/documents/{item.pk}/download/")

    assert response.status_code == 200
    assert response.content == data
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Zz _letter_.pdf\"; filename*=UTF-8''Zz%20%22letter%22.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == str(len(data))
    assert response["Cache-Control"] == "no-store"  # every authenticated page (middleware)
    assert _reads() == [(str(item.pk), "success", clerk.pk)]


def test_inline_only_for_accepted_pdf_and_images(client, make_user, location):  # type: ignore[no-untyped-def]
    clerk = make_user(Role.FRONT_DESK, location)
    image = _receive(clerk, location, "scan.png", samples.png())
    bad = _receive(clerk, location, "page.html", HTML)
    client.force_login(clerk)

    shown = client.get(f"/documents/{image.pk}/download/", {"inline": "1"})
    refused = client.get(f"/documents/{bad.pk}/download/", {"inline": "1"})

    assert shown["Content-Type"] == "image/png"
    assert shown["Content-Disposition"] == 'inline; filename="scan.png"'
    assert shown["X-Content-Type-Options"] == "nosniff"
    # Quarantined content is never shown in place, and never typed from its name or the uploader.
    assert refused.content == HTML
    assert refused["Content-Type"] == "application/octet-stream"
    assert refused["Content-Disposition"] == 'attachment; filename="page.html"'


def test_a_hostile_name_is_made_safe(client, make_user, location):  # type: ignore[no-untyped-def]
    clerk = make_user(Role.FRONT_DESK, location)
    item = _receive(clerk, location, "..\\x/Zz\u00e9\r\n;x.pdf")
    client.force_login(clerk)

    response = client.get(f"/documents/{item.pk}/download/")

    assert item.display_name == "Zz\u00e9 ;x.pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Zz_ _x.pdf\"; filename*=UTF-8''Zz%C3%A9%20%3Bx.pdf"
    )


def test_another_locations_item_is_404(client, make_user, location):  # type: ignore[no-untyped-def]
    other = LocationFactory()
    item = _receive(make_user(Role.FRONT_DESK, other), other)
    client.force_login(make_user(Role.FRONT_DESK, location))

    assert client.get(f"/documents/{item.pk}/").status_code == 404
    assert client.get(f"/documents/{item.pk}/download/").status_code == 404
    assert _reads() == []


def test_a_role_without_document_view_is_403(client, make_user, location):  # type: ignore[no-untyped-def]
    item = _receive(make_user(Role.FRONT_DESK, location), location)
    client.force_login(make_user(Role.SCHEDULER, location))

    for url in ("/documents/", f"/documents/{item.pk}/", f"/documents/{item.pk}/download/"):
        assert client.get(url).status_code == 403, url
    upload = client.post(
        "/documents/upload/",
        {"location": location.pk, "files": [SimpleUploadedFile("a.pdf", samples.pdf())]},
    )
    assert upload.status_code == 403
    assert InboxItem.objects.count() == 1


def test_a_provider_views_but_cannot_upload(client, make_user, location):  # type: ignore[no-untyped-def]
    client.force_login(make_user(Role.PROVIDER, location))

    page = client.get("/documents/", {"location": location.pk})

    assert page.status_code == 200
    assert page.context["can_receive"] is False
    assert "/documents/upload/" not in page.content.decode()


def test_a_corrupt_blob_is_a_clear_error_not_the_bytes(client, make_user, location):  # type: ignore[no-untyped-def]
    clerk = make_user(Role.FRONT_DESK, location)
    item = _receive(clerk, location)
    default_storage.delete(item.blob.stored_name)
    client.force_login(clerk)

    response = client.get(f"/documents/{item.pk}/download/")

    assert response.status_code == 409
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Content-Disposition" not in response
    body = response.content.decode()
    assert "This document cannot be opened" in body
    assert f"stored copy of inbox item #{item.pk} failed its integrity check" in body
    assert _reads() == [(str(item.pk), "failure", clerk.pk)]


def test_the_nav_has_the_inbox(client, make_user, location):  # type: ignore[no-untyped-def]
    client.force_login(make_user(Role.FRONT_DESK, location))

    items = client.get("/documents/").context["nav_items"]

    assert {"label": "Inbox", "url": "/documents/"}.items() <= next(
        i for i in items if i["label"] == "Inbox"
    ).items()
