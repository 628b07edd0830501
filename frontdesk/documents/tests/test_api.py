"""The inbox's JSON API: list (status, since, location), one item, upload (multipart or JSON)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.documents.models import InboxItem
from frontdesk.documents.services import document_receive
from frontdesk.documents.tests import samples
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

HTML = b"<!DOCTYPE html><html><body>Zz not a letter</body></html>"


def _expected(item: InboxItem) -> dict[str, Any]:
    item.refresh_from_db()
    return {
        "id": str(item.pk),
        "location_id": str(item.location_id),
        "source": item.source,
        "file_name": item.display_name,
        "sha256": item.blob.sha256,
        "size": item.blob.size,
        "status": item.status,
        "kind": item.blob.kind,
        "pages": item.blob.pages,
        "quarantine_code": item.quarantine_code or None,
        "quarantine_reason": item.quarantine_reason or None,
        "duplicate_of": str(item.duplicate_of_id) if item.duplicate_of_id else None,
        "received_at": item.received_at.replace(
            microsecond=item.received_at.microsecond // 1000 * 1000
        ),
        "patient": None,
        "type": None,
        "confidence": None,
        "reasons": [],
        "parts": [],
    }


def _read(answer: dict[str, Any]) -> dict[str, Any]:
    """An item as answered, its time parsed (the API writes milliseconds)."""
    return {**answer, "received_at": dt.datetime.fromisoformat(answer["received_at"])}


def _fax(location: Any, name: str, data: bytes) -> InboxItem:
    return document_receive(actor=None, location=location, source="fax", name=name, data=data)


def test_list_filter_and_get(location):  # type: ignore[no-untyped-def]
    first = _fax(location, "a.pdf", samples.pdf(pages=2))
    bad = _fax(location, "b.html", HTML)
    dup = _fax(location, "c.pdf", samples.pdf(pages=2))
    other = _fax(LocationFactory(), "elsewhere.pdf", samples.pdf())
    caller = key_client_for(Role.FRONT_DESK, location)

    everything = caller.get("/api/v1/documents")
    quarantined = caller.get("/api/v1/documents", {"status": "quarantined"})
    one = caller.get(f"/api/v1/documents/{dup.pk}")

    assert everything.status_code == 200
    assert everything.json()["count"] == 3
    assert [_read(i) for i in everything.json()["items"]] == [
        _expected(dup),
        _expected(bad),
        _expected(first),
    ]
    assert [i["id"] for i in quarantined.json()["items"]] == [str(bad.pk)]
    assert quarantined.json()["items"][0]["quarantine_code"] == "markup"
    assert one.status_code == 200
    assert _read(one.json()) == _expected(dup)
    assert one.json()["duplicate_of"] == str(first.pk)
    assert caller.get(f"/api/v1/documents/{other.pk}").status_code == 404
    assert caller.get("/api/v1/documents", {"location": other.location_id}).status_code == 404
    assert caller.get("/api/v1/documents", {"status": "archived"}).status_code == 400


def test_since_keeps_later_arrivals(location):  # type: ignore[no-untyped-def]
    old = _fax(location, "old.pdf", samples.pdf(text="Zz old"))
    InboxItem.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=2))
    new = _fax(location, "new.pdf", samples.pdf(text="Zz new"))
    caller = key_client_for(Role.FRONT_DESK, location)
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()

    response = caller.get("/api/v1/documents", {"since": since})

    assert [i["id"] for i in response.json()["items"]] == [str(new.pk)]


def test_multipart_upload_returns_201_with_the_item(location):  # type: ignore[no-untyped-def]
    caller = key_client_for(Role.FRONT_DESK, location)
    headers = {"Authorization": f"Bearer {caller.key}"}

    accepted = caller.client.post(
        "/api/v1/documents",
        {
            "location_id": str(location.pk),
            "file": SimpleUploadedFile("Zz letter.pdf", samples.pdf()),
        },
        headers=headers,
    )
    quarantined = caller.client.post(
        "/api/v1/documents",
        {"location_id": str(location.pk), "file": SimpleUploadedFile("page.pdf", HTML)},
        headers=headers,
    )

    first, second = InboxItem.objects.order_by("pk")
    assert accepted.status_code == 201
    assert _read(accepted.json()) == _expected(first)
    assert (first.source, first.received_by_id) == ("upload", caller.user.pk)
    assert quarantined.status_code == 201
    assert _read(quarantined.json()) == _expected(second)
    assert (quarantined.json()["status"], quarantined.json()["quarantine_code"]) == (
        "quarantined",
        "markup",
    )


def test_json_upload_and_a_duplicate(location):  # type: ignore[no-untyped-def]
    caller = key_client_for(Role.FRONT_DESK, location)
    body = {
        "location_id": str(location.pk),
        "file_name": "scan.png",
        "content_base64": base64.b64encode(samples.png()).decode(),
    }

    first = caller.post("/api/v1/documents", body)
    again = caller.post("/api/v1/documents", body)

    assert (first.status_code, again.status_code) == (201, 201)
    assert (first.json()["kind"], first.json()["status"]) == ("png", "received")
    assert again.json()["duplicate_of"] == first.json()["id"]


def test_upload_errors_write_nothing(location):  # type: ignore[no-untyped-def]
    caller = key_client_for(Role.FRONT_DESK, location)
    other = LocationFactory()
    content = base64.b64encode(samples.pdf()).decode()

    elsewhere = caller.post(
        "/api/v1/documents",
        {"location_id": str(other.pk), "file_name": "a.pdf", "content_base64": content},
    )
    no_location = caller.post(
        "/api/v1/documents", {"file_name": "a.pdf", "content_base64": content}
    )
    bad_base64 = caller.post(
        "/api/v1/documents", {"location_id": str(location.pk), "content_base64": "!!"}
    )
    no_file = caller.client.post(
        "/api/v1/documents",
        {"location_id": str(location.pk)},
        headers={"Authorization": f"Bearer {caller.key}"},
    )
    viewer = key_client_for(Role.PROVIDER, location).post(
        "/api/v1/documents",
        {"location_id": str(location.pk), "file_name": "a.pdf", "content_base64": content},
    )

    assert (elsewhere.status_code, elsewhere.json()["code"]) == (404, "not_found")
    assert no_location.status_code == 400
    assert no_location.json()["fields"] == {
        "location_id": ["Give the location_id whose inbox receives the file."]
    }
    assert bad_base64.status_code == 400
    assert bad_base64.json()["fields"] == {
        "content_base64": ["content_base64 is not valid base64."]
    }
    assert no_file.status_code == 400
    assert list(no_file.json()["fields"]) == ["file"]
    assert (viewer.status_code, viewer.json()["code"]) == (403, "forbidden")
    assert InboxItem.objects.count() == 0


def test_a_filed_item_answers_its_patient_type_and_parts_and_the_read_is_audited(location):  # type: ignore[no-untyped-def]
    from frontdesk.audit.models import AuditEvent
    from frontdesk.documents.pipeline import document_process
    from frontdesk.documents.tests.test_pipeline import lab_lines, letter_pdf, patient

    owner = patient("Janeth", "Quillfeather", dt.date(1961, 3, 4))
    filed = _fax(
        location, "lab.pdf", letter_pdf([lab_lines("Janeth", "Quillfeather", "03/04/1961")])
    )
    waiting = _fax(location, "other.pdf", samples.pdf())
    document_process(item_id=filed.pk)
    document_process(item_id=waiting.pk)
    caller = key_client_for(Role.FRONT_DESK, location)
    before = AuditEvent.objects.filter(object_type="inbox_item", action="read").count()

    answer = caller.get("/api/v1/documents", {"patient": owner.pk})
    review = caller.get("/api/v1/documents", {"status": "review"})

    assert answer.status_code == 200
    (item,) = answer.json()["items"]
    assert (item["id"], item["status"], item["patient"], item["type"]) == (
        str(filed.pk),
        "filed",
        str(owner.pk),
        "lab_result",
    )
    assert item["parts"][0]["pages"] == [1]
    assert item["parts"][0]["filed_by"] == "match"
    assert "date of birth matches" in item["reasons"]
    assert [i["id"] for i in review.json()["items"]] == [str(waiting.pk)]
    assert review.json()["items"][0]["patient"] is None
    # The list naming a patient is one audited read; the one naming nobody is not audited.
    assert AuditEvent.objects.filter(object_type="inbox_item", action="read").count() == before + 1
