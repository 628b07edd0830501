"""Security promise 14 (../shared/security.md): uploads.

Through the staff upload screen and the JSON API, as an attacker would send them: HTML, SVG, a JPEG
carrying HTML, a path-traversal name, an empty file, an oversize file and a PNG decompression bomb.
Each becomes a quarantined inbox item with its reason (nothing is lost, nothing is processed or
served as what it claims); stored names are generated and outside the web root; downloads are
``nosniff`` attachments typed from the content.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from frontdesk.accounts.choices import Role
from frontdesk.api.tests.support import key_client_for
from frontdesk.documents.choices import ItemStatus, Stage
from frontdesk.documents.models import InboxItem
from frontdesk.documents.pipeline import document_process
from frontdesk.documents.tests import samples
from tests.factories import LocationFactory, UserFactory, assign

pytestmark = pytest.mark.django_db

ATTACKS: list[tuple[str, bytes, str]] = [
    ("invoice.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "markup"),
    (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "markup",
    ),
    ("photo.jpg", samples.jpeg(comment=b"<html><script>alert(1)</script></html>"), "polyglot"),
    ("empty.pdf", b"", "empty"),
    ("bomb.png", samples.png_bomb(), "bomb"),
    ("../../../etc/cron.d/evil.html", b"<html><body>x</body></html>", "markup"),
]


def _desk(location: Any) -> Client:
    client = Client()
    client.force_login(assign(UserFactory(role=Role.FRONT_DESK), location))
    return client


@pytest.mark.parametrize(("name", "data", "code"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_each_attack_uploaded_at_the_desk_is_quarantined_with_a_reason(name, data, code) -> None:  # type: ignore[no-untyped-def]
    location = LocationFactory()
    client = _desk(location)

    response = client.post(
        "/documents/upload/",
        {"location": location.pk, "files": [SimpleUploadedFile(name, data)]},
    )

    assert response.status_code == 200
    item = InboxItem.objects.get()
    assert (item.status, item.quarantine_code) == (ItemStatus.QUARANTINED, code)
    assert item.quarantine_reason
    assert "/" not in item.display_name and ".." not in item.display_name.split(".")[0]
    # Stored under a generated name inside the data folder, never under the uploader's name and
    # never below a served URL.
    stored = Path(settings.MEDIA_ROOT) / item.blob.stored_name
    assert stored.is_file()
    assert Path(name).name not in item.blob.stored_name
    assert not str(settings.MEDIA_URL).startswith("/static")
    # The pipeline never reads quarantined content.
    assert document_process(item_id=item.pk).stage == Stage.QUEUED
    assert item.pages.count() == 0
    download = client.get(f"/documents/{item.pk}/download/?inline=1")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] != "text/html"
    assert download["Content-Type"] != "image/svg+xml"


def test_an_oversize_file_is_quarantined_through_the_api() -> None:
    location = LocationFactory()
    caller = key_client_for(Role.FRONT_DESK, location)
    with override_settings(FRONTDESK_DOCUMENT_MAX_BYTES=1000):
        answer = caller.post(
            "/api/v1/documents",
            {
                "location_id": str(location.pk),
                "file_name": "big.pdf",
                "content_base64": base64.b64encode(samples.pdf(pages=3) + b"%" * 2000).decode(),
            },
        )
    assert answer.status_code == 201
    assert (answer.json()["status"], answer.json()["quarantine_code"]) == (
        "quarantined",
        "too_large",
    )
    assert answer.json()["file_name"] == "big.pdf"


def test_a_traversal_name_is_only_ever_a_display_name() -> None:
    location = LocationFactory()
    caller = key_client_for(Role.FRONT_DESK, location)
    answer = caller.post(
        "/api/v1/documents",
        {
            "location_id": str(location.pk),
            "file_name": "..\\..\\windows\\system32\\letter.pdf",
            "content_base64": base64.b64encode(samples.pdf()).decode(),
        },
    )
    assert answer.status_code == 201
    assert answer.json()["file_name"] == "letter.pdf"
    assert answer.json()["status"] == "received"
