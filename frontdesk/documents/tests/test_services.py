"""Receiving documents: accepted, quarantined (original kept), duplicates, scoping, audit rows."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.documents import blobs
from frontdesk.documents.errors import BlobCorrupt
from frontdesk.documents.models import Blob, InboxItem
from frontdesk.documents.selectors import inbox_item_read_bytes
from frontdesk.documents.services import document_receive
from frontdesk.documents.tests import samples
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def _audit_rows() -> list[tuple[str, str, str, str, str]]:
    return list(
        AuditEvent.objects.filter(category="documents")
        .order_by("sequence")
        .values_list("action", "object_type", "object_id", "outcome", "actor_name")
    )


def test_an_accepted_upload_is_received(make_user, location):
    clerk = make_user(Role.FRONT_DESK, location)
    data = samples.pdf(pages=2)

    item = document_receive(
        actor=clerk, location=location, source="upload", name="../Zz letter.pdf", data=data
    )

    item.refresh_from_db()
    assert (item.status, item.quarantine_code, item.quarantine_reason) == ("received", "", "")
    assert (item.source, item.display_name, item.received_by, item.location) == (
        "upload",
        "Zz letter.pdf",
        clerk,
        location,
    )
    assert item.duplicate_of is None
    assert item.received_at.tzinfo is not None
    assert (item.blob.kind, item.blob.pages, item.blob.size) == ("pdf", 2, len(data))
    assert "Zz" not in item.blob.stored_name
    event = AuditEvent.objects.get(category="documents")
    assert (event.action, event.object_type, event.object_id, event.actor_id) == (
        "create",
        "inbox_item",
        str(item.pk),
        clerk.pk,
    )
    assert event.detail == {
        "location_id": location.pk,
        "source": "upload",
        "status": "received",
        "quarantine_code": "",
        "kind": "pdf",
        "pages": 2,
        "size": len(data),
        "blob_id": item.blob_id,
        "blob_created": True,
        "duplicate_of": None,
    }


def test_quarantine_keeps_the_original_bytes_and_says_why(location):
    data = samples.jpeg() + b"<html><script>alert(1)</script></html>"

    item = document_receive(actor=None, location=location, source="fax", name="fax.jpg", data=data)

    assert (item.status, item.quarantine_code) == ("quarantined", "polyglot")
    assert item.quarantine_reason == (
        "The JPEG image carries web-page markup after the end of the image data; a file that is "
        "both an image and HTML is not accepted."
    )
    assert item.received_by is None
    assert blobs.blob_read(item.blob) == data
    assert _audit_rows() == [
        ("create", "inbox_item", str(item.pk), "success", "document intake (fax)")
    ]
    assert AuditEvent.objects.get(category="documents").detail["quarantine_code"] == "polyglot"


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("empty.pdf", b"", "empty"),
        ("page.html", samples.HTML, "markup"),
        ("logo.svg", samples.SVG, "markup"),
        ("bomb.png", samples.png_bomb(), "bomb"),
        ("locked.pdf", samples.encrypted_pdf(), "encrypted"),
        ("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", "unrecognised"),
    ],
    ids=["zero-byte", "html", "svg", "png-bomb", "encrypted-pdf", "traversal-name"],
)
def test_bad_content_is_quarantined_never_refused(location, name, data, code):
    item = document_receive(actor=None, location=location, source="folder", name=name, data=data)
    assert (item.status, item.quarantine_code) == ("quarantined", code)
    assert blobs.blob_read(item.blob) == data


def test_oversize_is_quarantined_with_the_setting(location, settings):
    settings.FRONTDESK_DOCUMENT_MAX_BYTES = 500
    data = samples.pdf()
    item = document_receive(actor=None, location=location, source="scan", name="a.pdf", data=data)
    assert item.quarantine_reason == (
        f"The file is 0.0 MB ({len(data)} bytes), over the limit of 0.0 MB (500 bytes)."
    )
    assert blobs.blob_read(item.blob) == data


def test_the_traversal_name_is_only_ever_a_display_name(location):
    item = document_receive(
        actor=None, location=location, source="email", name="..\\..\\x/../../etc/passwd", data=b"x"
    )
    assert item.display_name == "passwd"
    assert item.blob.stored_name.startswith("documents/")
    assert "passwd" not in item.blob.stored_name


def test_the_second_arrival_says_it_is_a_duplicate(make_user, location):
    clerk = make_user(Role.FRONT_DESK, location)
    data = samples.tiff(pages=2)
    first = document_receive(
        actor=clerk, location=location, source="upload", name="a.tif", data=data
    )
    second = document_receive(actor=None, location=location, source="fax", name="b.tif", data=data)
    third = document_receive(actor=None, location=location, source="fax", name="c.tif", data=data)

    assert (first.duplicate_of_id, second.duplicate_of_id, third.duplicate_of_id) == (
        None,
        first.pk,
        first.pk,
    )
    assert second.blob_id == first.blob_id == third.blob_id
    assert Blob.objects.count() == 1
    details = [event.detail for event in AuditEvent.objects.filter(category="documents")]
    assert [(d["blob_created"], d["duplicate_of"]) for d in details] == [
        (True, None),
        (False, first.pk),
        (False, first.pk),
    ]


def test_the_same_content_in_another_location_shares_the_blob_but_is_not_its_duplicate(location):
    other = LocationFactory()
    data = samples.png()
    here = document_receive(actor=None, location=location, source="fax", name="a.png", data=data)
    there = document_receive(actor=None, location=other, source="fax", name="a.png", data=data)
    assert there.blob_id == here.blob_id
    assert there.duplicate_of is None  # the other inbox is not this one's business


def test_no_location_is_a_validation_error_and_nothing_is_written():
    with pytest.raises(ValidationFailed) as caught:
        document_receive(actor=None, location=None, source="fax", name="a.pdf", data=b"x")
    assert caught.value.fields == {
        "location": ["Choose the location whose inbox receives the document."]
    }
    assert (InboxItem.objects.count(), Blob.objects.count(), _audit_rows()) == (0, 0, [])


def test_an_unknown_source_is_a_validation_error(location):
    with pytest.raises(ValidationFailed) as caught:
        document_receive(actor=None, location=location, source="pigeon", name="a", data=b"x")
    assert caught.value.fields == {"source": ["Unknown document source 'pigeon'."]}


def test_an_upload_needs_a_person(location):
    with pytest.raises(ValidationFailed) as caught:
        document_receive(actor=None, location=location, source="upload", name="a", data=b"x")
    assert caught.value.fields == {"source": ["A browser upload needs the person uploading."]}


def test_a_role_without_the_action_is_refused(make_user, location):
    scheduler = make_user(Role.SCHEDULER, location)
    with pytest.raises(PermissionDenied):
        document_receive(actor=scheduler, location=location, source="upload", name="a", data=b"x")
    assert (InboxItem.objects.count(), Blob.objects.count(), _audit_rows()) == (0, 0, [])


def test_another_locations_inbox_is_out_of_reach(make_user, location):
    clerk = make_user(Role.FRONT_DESK, location)
    with pytest.raises(NotFound):
        document_receive(
            actor=clerk, location=LocationFactory(), source="upload", name="a", data=b"x"
        )
    assert (InboxItem.objects.count(), Blob.objects.count()) == (0, 0)


def test_the_database_refuses_a_quarantine_without_a_reason(location):
    item = document_receive(actor=None, location=location, source="fax", name="a", data=b"x")
    with pytest.raises(IntegrityError), transaction.atomic():
        InboxItem.objects.filter(pk=item.pk).update(quarantine_reason="")


def test_the_database_refuses_a_reason_on_a_received_item(location):
    item = document_receive(
        actor=None, location=location, source="fax", name="a.png", data=samples.png()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        InboxItem.objects.filter(pk=item.pk).update(quarantine_reason="because")


def test_the_database_refuses_an_upload_without_a_person(location):
    item = document_receive(
        actor=None, location=location, source="fax", name="a.png", data=samples.png()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        InboxItem.objects.filter(pk=item.pk).update(source="upload")


def test_the_database_refuses_an_unknown_status(location):
    item = document_receive(
        actor=None, location=location, source="fax", name="a.png", data=samples.png()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        InboxItem.objects.filter(pk=item.pk).update(status="filed", received_at=timezone.now())


# --- reading the bytes -------------------------------------------------------------------------------


def test_reading_an_items_bytes_is_verified_and_audited(make_user, location):
    data = samples.pdf()
    item = document_receive(actor=None, location=location, source="fax", name="a.pdf", data=data)
    nurse = make_user(Role.NURSE, location)

    read_item, read_data = inbox_item_read_bytes(actor=nurse, item_id=item.pk)

    assert (read_item.pk, read_data) == (item.pk, data)
    event = AuditEvent.objects.filter(category="documents").order_by("sequence").last()
    assert (event.action, event.object_id, event.actor_id, event.outcome) == (
        "read",
        str(item.pk),
        nurse.pk,
        "success",
    )
    assert event.detail == {
        "blob_id": item.blob_id,
        "location_id": location.pk,
        "status": "received",
    }


def test_a_damaged_blob_is_not_served_and_the_attempt_is_audited(make_user, location):
    item = document_receive(
        actor=None, location=location, source="fax", name="a.pdf", data=samples.pdf()
    )
    from django.core.files.storage import default_storage

    with default_storage.open(item.blob.stored_name, "rb") as handle:
        stored = bytearray(handle.read())
    stored[-3] ^= 0x04
    default_storage.delete(item.blob.stored_name)
    default_storage.save(item.blob.stored_name, blobs.ContentFile(bytes(stored)))
    clerk = make_user(Role.FRONT_DESK, location)

    with pytest.raises(BlobCorrupt) as caught:
        inbox_item_read_bytes(actor=clerk, item_id=item.pk)

    assert caught.value.blob_id == item.blob_id
    event = AuditEvent.objects.filter(category="documents").order_by("sequence").last()
    assert (event.action, event.outcome, event.detail["error"]) == (
        "read",
        "failure",
        "blob_corrupt",
    )


@pytest.mark.parametrize("role", [Role.SCHEDULER, Role.ADMIN])
def test_roles_without_document_view_see_nothing(make_user, location, role):
    item = document_receive(actor=None, location=location, source="fax", name="a", data=b"x")
    with pytest.raises(NotFound):
        inbox_item_read_bytes(actor=make_user(role, location), item_id=item.pk)
    assert [row[0] for row in _audit_rows()] == ["create"]


def test_another_locations_item_is_not_found(make_user, location):
    item = document_receive(
        actor=None, location=LocationFactory(), source="fax", name="a", data=b"x"
    )
    with pytest.raises(NotFound):
        inbox_item_read_bytes(actor=make_user(Role.FRONT_DESK, location), item_id=item.pk)


def test_the_practice_manager_sees_every_locations_inbox(make_user, location):
    item = document_receive(
        actor=None, location=LocationFactory(), source="fax", name="a", data=b"x"
    )
    manager = make_user(Role.PRACTICE_MANAGER)
    assert inbox_item_read_bytes(actor=manager, item_id=item.pk)[1] == b"x"


def test_content_first_quarantined_over_a_cap_gets_its_pages_when_accepted_later(
    location, settings
):
    settings.FRONTDESK_DOCUMENT_MAX_BYTES = 100
    data = samples.pdf(pages=2)
    first = document_receive(actor=None, location=location, source="fax", name="a.pdf", data=data)
    assert (first.status, first.blob.pages) == ("quarantined", 0)
    settings.FRONTDESK_DOCUMENT_MAX_BYTES = 50 * 1024 * 1024
    second = document_receive(actor=None, location=location, source="fax", name="a.pdf", data=data)
    assert (second.status, second.duplicate_of_id, second.blob.pages) == ("received", first.pk, 2)
