"""Faxes: the signed inbound webhook, sending a chart document, the delivery-status webhook."""

from __future__ import annotations

import http.server
import io
import json
import threading
import time
from typing import ClassVar

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.disclosures.models import Disclosure
from frontdesk.documents import blobs
from frontdesk.documents.choices import (
    Channel,
    CorrespondenceStatus,
    Direction,
    DocType,
    FiledBy,
    ItemStatus,
)
from frontdesk.documents.fax import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TestFaxTransport,
    fax_signature,
    fax_signature_valid,
    fax_signed_headers,
)
from frontdesk.documents.intake.faxes import (
    CONFIDENTIALITY_NOTICE,
    document_send_fax,
    fax_status_update,
    normalize_number,
)
from frontdesk.documents.intake_views import FORM_OVERHEAD
from frontdesk.documents.models import Correspondence, Document, DocumentVersion, InboxItem
from frontdesk.documents.services import document_limits
from frontdesk.documents.sniff import sniff
from frontdesk.documents.tests import samples
from tests.factories import LocationFactory, PatientFactory

pytestmark = pytest.mark.django_db

SECRET = "test-fax-webhook-secret"
OUR_NUMBER = "+15555550100"


@pytest.fixture(autouse=True)
def _fax_settings(settings, location, tmp_path):
    settings.FRONTDESK_FAX_WEBHOOK_SECRET = SECRET
    settings.FRONTDESK_FAX_NUMBERS = {OUR_NUMBER: location.code}
    settings.FRONTDESK_FAX_DEFAULT_LOCATION = ""
    settings.FRONTDESK_FAX_TRANSPORT = "test"
    settings.FRONTDESK_FAX_OUTBOX = tmp_path / "fax-outbox"
    settings.FRONTDESK_FAX_FROM = "+15555550199"


def _multipart(fields: dict[str, str], data: bytes) -> tuple[bytes, str]:
    boundary = "test-boundary-7f3a"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="fax.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _post_fax(client: Client, *, provider_id: str = "job-1", data: bytes | None = None, **kw):
    body, content_type = _multipart(
        {"from": "+15555550123", "to": kw.pop("to", OUR_NUMBER), "pages": "2", "id": provider_id},
        samples.pdf(pages=2) if data is None else data,
    )
    headers = kw.pop("headers", None) or {
        f"HTTP_{name.upper().replace('-', '_')}": value
        for name, value in fax_signed_headers(body).items()
    }
    return client.post(
        reverse("documents:fax_inbound"), data=body, content_type=content_type, **headers
    )


# --- the signature -------------------------------------------------------------------------------


def test_the_signature_is_an_hmac_of_timestamp_dot_body_within_five_minutes():
    now = 1_800_000_000
    good = fax_signature(body=b"abc", timestamp=str(now), secret=SECRET)
    assert good.startswith("sha256=") and len(good) == 7 + 64
    assert fax_signature_valid(body=b"abc", timestamp=str(now), signature=good, now=now + 300)
    assert not fax_signature_valid(body=b"abc", timestamp=str(now), signature=good, now=now + 301)
    assert not fax_signature_valid(body=b"abc", timestamp=str(now), signature=good, now=now - 301)
    assert not fax_signature_valid(body=b"abd", timestamp=str(now), signature=good, now=now)
    assert not fax_signature_valid(body=b"abc", timestamp=str(now + 1), signature=good, now=now)
    assert not fax_signature_valid(body=b"abc", timestamp="", signature=good, now=now)
    assert not fax_signature_valid(body=b"abc", timestamp=str(now), signature="", now=now)


def test_without_a_secret_every_signature_is_refused(settings):
    now = int(time.time())
    good = fax_signature(body=b"abc", timestamp=str(now), secret="")
    settings.FRONTDESK_FAX_WEBHOOK_SECRET = ""
    assert not fax_signature_valid(body=b"abc", timestamp=str(now), signature=good, now=now)


# --- inbound -------------------------------------------------------------------------------------


def test_a_signed_fax_lands_in_the_inbox_of_the_number_called(client, location):
    response = _post_fax(client)

    assert response.status_code == 200
    item = InboxItem.objects.get()
    row = Correspondence.objects.get()
    assert response.json() == {"status": "received", "correspondence": row.pk, "item": item.pk}
    assert (item.source, item.status, item.location_id, item.display_name) == (
        "fax",
        ItemStatus.RECEIVED,
        location.pk,
        "fax.pdf",
    )
    assert (
        row.direction,
        row.channel,
        row.status,
        row.counterpart,
        row.pages,
        row.external_id,
        row.inbox_item_id,
    ) == (
        Direction.IN,
        Channel.FAX,
        CorrespondenceStatus.RECEIVED,
        "+15555550123",
        2,
        "job-1",
        item.pk,
    )


def test_the_same_provider_id_twice_is_one_item(client):
    first = _post_fax(client).json()
    second = _post_fax(client)
    assert second.status_code == 200
    assert second.json() == {**first, "status": "duplicate"}
    assert InboxItem.objects.count() == 1 and Correspondence.objects.count() == 1


def test_bad_content_is_quarantined_not_refused(client):
    response = _post_fax(client, data=samples.HTML)
    assert response.status_code == 200
    assert InboxItem.objects.get().status == ItemStatus.QUARANTINED


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_FRONTDESK_TIMESTAMP": "1800000000"},
        {
            "HTTP_X_FRONTDESK_TIMESTAMP": str(int(time.time())),
            "HTTP_X_FRONTDESK_SIGNATURE": "sha256=00",
        },
    ],
    ids=["missing", "no-signature", "wrong"],
)
def test_a_bad_or_missing_signature_is_refused_and_writes_nothing(client, headers):
    response = _post_fax(client, headers=headers or {"HTTP_X_NOTHING": "1"})
    assert response.status_code == 403
    assert InboxItem.objects.count() == 0 and Correspondence.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_replayed_request_older_than_five_minutes_is_refused(client):
    body, content_type = _multipart({"id": "job-9", "to": OUR_NUMBER}, samples.pdf())
    stale = int(time.time()) - 301
    headers = fax_signed_headers(body, now=stale)
    response = client.post(
        reverse("documents:fax_inbound"),
        data=body,
        content_type=content_type,
        HTTP_X_FRONTDESK_TIMESTAMP=headers[TIMESTAMP_HEADER],
        HTTP_X_FRONTDESK_SIGNATURE=headers[SIGNATURE_HEADER],
    )
    assert response.status_code == 403
    assert InboxItem.objects.count() == 0


def test_a_number_no_location_receives_is_refused_with_nothing_written(client, settings):
    response = _post_fax(client, to="+15555550777")
    assert response.status_code == 422
    assert "FRONTDESK_FAX_NUMBERS" in response.json()["error"]
    assert InboxItem.objects.count() == 0
    settings.FRONTDESK_FAX_DEFAULT_LOCATION = LocationFactory(code="spare").code
    assert _post_fax(client, to="+15555550777").status_code == 200
    assert InboxItem.objects.get().location.code == "spare"


# --- outbound ------------------------------------------------------------------------------------


def _chart_document(location, *, content: bytes | None = None) -> Document:
    data = content or samples.pdf(pages=3, text="Synthetic consult letter")
    blob, _ = blobs.blob_store(data, sniffed=sniff(data, name="x", **document_limits()))
    document = Document.objects.create(
        patient=PatientFactory(),
        location=location,
        doc_type=DocType.CONSULT_NOTE,
        title="Consult letter",
        filed_by=FiledBy.CODE,
    )
    DocumentVersion.objects.create(document=document, number=1, blob=blob, pages=blob.pages)
    return document


def test_sending_a_fax_queues_cover_sheet_and_document_then_the_report_marks_it_sent(
    make_user, location
):
    user = make_user(Role.FRONT_DESK, location, first_name="Tess", last_name="Sender")
    document = _chart_document(location)

    row = document_send_fax(
        actor=user,
        document_id=document.pk,
        to_number="(555) 555-0142",
        cover_note="Records you asked for.",
    )

    assert (row.direction, row.channel, row.status, row.counterpart, row.pages) == (
        Direction.OUT,
        Channel.FAX,
        CorrespondenceStatus.QUEUED,
        "5555550142",
        4,
    )
    assert (row.patient_id, row.document_id, row.created_by_id, row.subject) == (
        document.patient_id,
        document.pk,
        user.pk,
        "Records you asked for.",
    )
    transport = TestFaxTransport()
    assert transport.jobs() == [row.external_id]
    sidecar = transport.sidecar(row.external_id)
    assert {k: sidecar[k] for k in ("to", "from", "reference", "status")} == {
        "to": "5555550142",
        "from": "+15555550199",
        "reference": f"correspondence-{row.pk}",
        "status": "queued",
    }
    sent = PdfReader(io.BytesIO((transport.outbox / f"{row.external_id}.pdf").read_bytes()))
    assert len(sent.pages) == 4
    cover = sent.pages[0].extract_text()
    assert "Records you asked for." in cover and "Tess Sender" in cover
    assert "CONFIDENTIALITY NOTICE" in cover and "4 including this cover sheet" in cover
    # Nothing from the chart on the cover: no patient name, no title, no MRN.
    patient = document.patient
    for secret in (patient.last_name, patient.first_name, patient.mrn, "Consult letter"):
        assert secret not in cover
    assert "Synthetic consult letter - page 1" in sent.pages[1].extract_text()
    assert Disclosure.objects.count() == 0  # not sent yet

    delivered = transport.deliver(row.external_id)

    assert delivered.status == CorrespondenceStatus.SENT
    disclosure = Disclosure.objects.get()
    assert (
        disclosure.patient_id,
        disclosure.purpose,
        disclosure.recipient_identifier,
        disclosure.reference,
        disclosure.actor_id,
    ) == (document.patient_id, "treatment", "5555550142", f"correspondence:{row.pk}", user.pk)
    # A repeated report changes nothing and records nothing twice.
    assert fax_status_update(provider_id=row.external_id, status="failed").status == "sent"
    assert Disclosure.objects.count() == 1
    exported = AuditEvent.objects.get(action="export", object_type="correspondence")
    assert (exported.patient_id, exported.actor_id) == (document.patient_id, user.pk)


def test_an_image_document_is_faxed_as_pdf_pages(make_user, location):
    user = make_user(Role.FRONT_DESK, location)
    document = _chart_document(location, content=samples.png((300, 200)))
    row = document_send_fax(actor=user, document_id=document.pk, to_number="+15555550142")
    assert row.pages == 2


def test_the_status_webhook_records_a_failure_with_the_provider_error(make_user, location, client):
    user = make_user(Role.FRONT_DESK, location)
    row = document_send_fax(
        actor=user, document_id=_chart_document(location).pk, to_number="+15555550142"
    )
    body = json.dumps({"id": row.external_id, "status": "failed", "error": "busy"}).encode()
    headers = fax_signed_headers(body)
    url = reverse("documents:fax_status")

    unsigned = client.post(url, data=body, content_type="application/json")
    assert unsigned.status_code == 403
    row.refresh_from_db()
    assert row.status == CorrespondenceStatus.QUEUED

    response = client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_X_FRONTDESK_TIMESTAMP=headers[TIMESTAMP_HEADER],
        HTTP_X_FRONTDESK_SIGNATURE=headers[SIGNATURE_HEADER],
    )

    assert response.status_code == 200
    assert response.json() == {"status": "failed", "correspondence": row.pk}
    row.refresh_from_db()
    assert (row.status, row.error) == (CorrespondenceStatus.FAILED, "busy")
    assert Disclosure.objects.count() == 0
    unknown = json.dumps({"id": "nope", "status": "sent"}).encode()
    headers = fax_signed_headers(unknown)
    assert (
        client.post(
            url,
            data=unknown,
            content_type="application/json",
            HTTP_X_FRONTDESK_TIMESTAMP=headers[TIMESTAMP_HEADER],
            HTTP_X_FRONTDESK_SIGNATURE=headers[SIGNATURE_HEADER],
        ).status_code
        == 404
    )


def test_a_transport_failure_marks_the_row_failed(make_user, location, settings):
    settings.FRONTDESK_FAX_TRANSPORT = "http"
    settings.FRONTDESK_FAX_HTTP_URL = "http://127.0.0.1:9/fax"  # nothing listens on port 9
    user = make_user(Role.FRONT_DESK, location)
    row = document_send_fax(
        actor=user, document_id=_chart_document(location).pk, to_number="+15555550142"
    )
    assert (row.status, row.error, row.external_id) == (
        CorrespondenceStatus.FAILED,
        "unreachable",
        "",
    )


def test_sending_needs_the_send_action_and_the_documents_scope(make_user, location):
    document = _chart_document(location)
    with pytest.raises(PermissionDenied):
        document_send_fax(
            actor=make_user(Role.PROVIDER, location),
            document_id=document.pk,
            to_number="5555550142",
        )
    elsewhere = make_user(Role.FRONT_DESK, LocationFactory())
    # A document that does not exist or is out of the user's scope: NotFound, nothing written.
    with pytest.raises(NotFound):
        document_send_fax(actor=elsewhere, document_id=0, to_number="5555550142")
    with pytest.raises(ValidationFailed):
        document_send_fax(
            actor=make_user(Role.FRONT_DESK, location), document_id=document.pk, to_number="12"
        )
    assert Correspondence.objects.count() == 0


def test_numbers_are_normalised():
    assert normalize_number("+1 (555) 555-0142") == "+15555550142"
    with pytest.raises(ValidationFailed):
        normalize_number("call me")
    assert "CONFIDENTIALITY NOTICE" in CONFIDENTIALITY_NOTICE


def test_a_fax_larger_than_djangos_in_memory_limit_is_still_received(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200  # the fax file itself is far larger
    response = _post_fax(client, data=samples.pdf(pages=3))
    assert response.status_code == 200
    assert InboxItem.objects.get().blob.pages == 3


def test_a_fax_over_the_inbox_size_limit_is_refused_before_reading(client, settings):
    settings.FRONTDESK_DOCUMENT_MAX_BYTES = 10
    data = b"%PDF-1.4\n" + b"0" * (FORM_OVERHEAD + 100)
    response = _post_fax(client, data=data)
    assert response.status_code == 413
    assert InboxItem.objects.count() == 0


class _Provider(http.server.BaseHTTPRequestHandler):
    """A fax provider on loopback: keeps each request and answers a job id."""

    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers.items()), body))
        answer = json.dumps({"id": "provider-job-77"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


def test_the_http_transport_posts_the_pdf_with_the_bearer_token(make_user, location, settings):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Provider.received = []
    try:
        settings.FRONTDESK_FAX_TRANSPORT = "http"
        settings.FRONTDESK_FAX_HTTP_URL = f"http://127.0.0.1:{server.server_address[1]}/send"
        settings.FRONTDESK_FAX_HTTP_TOKEN = "token-abc"
        user = make_user(Role.FRONT_DESK, location)
        row = document_send_fax(
            actor=user, document_id=_chart_document(location).pk, to_number="+15555550142"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert (row.status, row.external_id) == (CorrespondenceStatus.QUEUED, "provider-job-77")
    ((headers, body),) = _Provider.received
    assert headers["Authorization"] == "Bearer token-abc"
    assert headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert b'name="to"\r\n\r\n+15555550142\r\n' in body
    assert f'name="reference"\r\n\r\ncorrespondence-{row.pk}\r\n'.encode() in body
    assert b'filename="fax.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF' in body


def test_the_send_by_fax_page_sends_and_says_so(staff_client, location):
    document = _chart_document(location)
    client = staff_client(Role.FRONT_DESK)
    url = reverse("documents:document_fax", args=[document.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert b"3 pages plus a cover sheet" in page.content
    assert document.patient.last_name.encode() not in page.content

    refused = client.post(url, {"to_number": "12", "cover_note": "Hello"})
    assert refused.status_code == 422 and b"area code" in refused.content
    assert Correspondence.objects.count() == 0

    sent = client.post(url, {"to_number": "+1 555 555 0142", "cover_note": "Hello"})
    row = Correspondence.objects.get()
    assert sent.status_code == 200
    assert f"Queued as #{row.pk} to +15555550142".encode() in sent.content
    assert staff_client(Role.PROVIDER).get(url).status_code == 403
