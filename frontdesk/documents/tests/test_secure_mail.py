"""Secure e-mail: the notice over real SMTP (no PHI), the pickup page, codes, lock, expiry, revoke."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import re
from email import policy
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from frontdesk.accounts.choices import Role
from frontdesk.audit.models import AuditEvent
from frontdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from frontdesk.disclosures.models import Disclosure
from frontdesk.documents import blobs
from frontdesk.documents.choices import Channel, CorrespondenceStatus, Direction, DocType, FiledBy
from frontdesk.documents.intake.secure_mail import (
    document_send_secure_email,
    secure_link_revoke,
)
from frontdesk.documents.intake_views import PICKUP_MISS_LIMIT
from frontdesk.documents.models import Correspondence, Document, DocumentVersion, SecureLink
from frontdesk.documents.services import document_limits
from frontdesk.documents.sniff import sniff
from frontdesk.documents.tests import samples
from frontdesk.notifications.tests.test_deliver import _free_port
from frontdesk.notifications.tests.test_deliver import smtp as _smtp_server
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

# The notifications tests' SMTP server (aiosmtpd on loopback), used here under its own name.
smtp = _smtp_server

PUBLIC = "https://frontdesk.example.com"
INVALID = b"This link is no longer valid. Please contact the practice."


@pytest.fixture(autouse=True)
def _secure_settings(settings):
    settings.PUBLIC_URL = PUBLIC
    settings.FRONTDESK_SECURE_LINK_DAYS = 7
    settings.FRONTDESK_SECURE_LINK_MAX_DOWNLOADS = 5
    cache.clear()  # the pickup page's per-address miss counter
    yield
    cache.clear()


def _chart_document(location, *, patient=None) -> Document:
    data = samples.pdf(pages=3, text="Synthetic consult letter")
    blob, _ = blobs.blob_store(data, sniffed=sniff(data, name="x", **document_limits()))
    document = Document.objects.create(
        patient=patient or PatientFactory(first_name="Zelda", last_name="Quixotic"),
        location=location,
        doc_type=DocType.CONSULT_NOTE,
        title="Consult letter",
        filed_by=FiledBy.CODE,
    )
    DocumentVersion.objects.create(document=document, number=1, blob=blob, pages=blob.pages)
    return document


def _mail(envelope: Any) -> Any:
    return email.message_from_bytes(envelope.original_content, policy=policy.default)


def _link_path(message: Any) -> str:
    body = message.get_content()
    (url,) = re.findall(rf"{re.escape(PUBLIC)}(/documents/secure/[A-Za-z0-9_\-]+/)", body)
    return url


def _send(user, document, **kw):
    return document_send_secure_email(
        actor=user, document_id=document.pk, to_email=kw.pop("to", "records@example.com"), **kw
    )


def test_the_notice_carries_a_link_and_no_phi_and_the_code_downloads_the_pdf(
    smtp, make_user, location
):
    user = make_user(Role.FRONT_DESK, location)
    document = _chart_document(location)
    patient = document.patient

    sent = _send(user, document, to="Records@Example.COM", message="The letter you asked for.")

    row, link, code = sent.correspondence, sent.link, sent.access_code
    assert (row.direction, row.channel, row.status, row.counterpart, row.pages) == (
        Direction.OUT,
        Channel.EMAIL,
        CorrespondenceStatus.SENT,
        "Records@example.com",
        3,
    )
    assert (row.patient_id, row.document_id, row.created_by_id, row.error) == (
        patient.pk,
        document.pk,
        user.pk,
        "",
    )
    assert re.fullmatch(r"\d{6}", code)
    (envelope,) = smtp.envelopes
    assert envelope.rcpt_tos == ["Records@example.com"]
    message = _mail(envelope)
    assert message["Message-ID"] == row.external_id
    assert not message.is_multipart()  # no attachment
    body = message.get_content()
    assert (
        message["Subject"] == f"{location.organization.name}: a secure document is waiting for you"
    )
    assert f"please call {location.organization.name}" in body and "access code" in body
    assert "The letter you asked for." in body
    for secret in (
        patient.first_name,
        patient.last_name,
        patient.mrn,
        "Consult letter",
        DocType.CONSULT_NOTE.label,
        code,
    ):
        assert secret not in body and secret not in message["Subject"]
    path = _link_path(message)
    token = path.rstrip("/").rsplit("/", 1)[1]
    # Only hashes are stored: the token's SHA-256, the code as a password hash.
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert code not in link.code_hash and token not in link.token_hash
    assert (link.version.number, link.recipient, link.max_downloads, link.download_count) == (
        1,
        "Records@example.com",
        5,
        0,
    )
    assert link.expires_at - link.created_at == pytest.approx(
        dt.timedelta(days=7), abs=dt.timedelta(seconds=5)
    )
    exported = AuditEvent.objects.get(action="export", object_type="correspondence")
    assert (exported.patient_id, exported.actor_id, exported.detail["secure_link"]) == (
        patient.pk,
        user.pk,
        link.pk,
    )
    assert Disclosure.objects.count() == 0  # nothing left the practice yet

    recipient = Client(enforce_csrf_checks=False)
    form = recipient.get(path)
    assert form.status_code == 200
    assert b'name="code"' in form.content and b"csrfmiddlewaretoken" in form.content
    for secret in (patient.last_name, patient.first_name, "Consult"):
        assert secret.encode() not in form.content

    download = recipient.post(path, {"code": code})

    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="document-{document.pk}.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "no-store"
    assert download.content == blobs.blob_read(document.versions.get().blob)
    link.refresh_from_db()
    assert (link.download_count, link.failed_attempts) == (1, 0)
    read = AuditEvent.objects.get(action="read", object_type="document")
    assert (read.actor_id, read.actor_name, read.patient_id, read.object_id) == (
        None,
        "secure link recipient Records@example.com",
        patient.pk,
        str(document.pk),
    )
    disclosure = Disclosure.objects.get()
    assert (
        disclosure.patient_id,
        disclosure.purpose,
        disclosure.recipient_identifier,
        disclosure.reference,
        disclosure.actor_id,
        disclosure.description,
    ) == (
        patient.pk,
        "treatment",
        "Records@example.com",
        f"correspondence:{row.pk}",
        user.pk,
        "Consult note / letter (3 pages) by secure e-mail link",
    )

    again = recipient.post(path, {"code": f" {code[:3]} {code[3:]} "})  # spaces are forgiven
    assert again.status_code == 200
    link.refresh_from_db()
    assert link.download_count == 2
    assert Disclosure.objects.count() == 1  # the same disclosure, downloaded twice
    assert AuditEvent.objects.filter(action="read", object_type="document").count() == 2


def test_wrong_codes_are_counted_and_the_fifth_locks_the_link(smtp, make_user, location):
    sent = _send(make_user(Role.FRONT_DESK, location), _chart_document(location))
    path = _link_path(_mail(smtp.envelopes[0]))
    wrong = "000000" if sent.access_code != "000000" else "111111"
    client = Client()

    for attempt in range(1, 5):
        response = client.post(path, {"code": wrong})
        assert response.status_code == 400
        assert b"That access code is not right." in response.content
        assert SecureLink.objects.get().failed_attempts == attempt
    fifth = client.post(path, {"code": wrong})
    assert fifth.status_code == 404 and INVALID in fifth.content
    # Locked: even the right code gets the generic page now.
    right = client.post(path, {"code": sent.access_code})
    assert right.status_code == 404 and INVALID in right.content
    assert client.get(path).status_code == 404
    link = SecureLink.objects.get()
    assert (link.failed_attempts, link.download_count, link.locked) == (5, 0, True)
    failures = AuditEvent.objects.filter(object_type="secure_link", outcome="failure")
    assert [event.detail["attempts"] for event in failures.order_by("sequence")] == [1, 2, 3, 4, 5]
    assert {event.actor_name for event in failures} == {"secure link recipient records@example.com"}
    assert Disclosure.objects.count() == 0


def test_an_expired_link_looks_like_an_unknown_one(smtp, make_user, location):
    sent = _send(make_user(Role.FRONT_DESK, location), _chart_document(location))
    path = _link_path(_mail(smtp.envelopes[0]))
    client = Client()
    unknown = client.get(reverse("documents:secure_pickup", args=["x" * 43]))
    assert unknown.status_code == 404 and INVALID in unknown.content

    with time_machine.travel(sent.link.expires_at - dt.timedelta(seconds=1), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(sent.link.expires_at, tick=False):
        expired = client.get(path)
        download = client.post(path, {"code": sent.access_code})

    assert expired.status_code == 404
    assert expired.content == unknown.content
    assert download.status_code == 404 and download.content == unknown.content
    assert SecureLink.objects.get().download_count == 0


def test_a_used_up_link_is_no_longer_valid(smtp, make_user, location, settings):
    settings.FRONTDESK_SECURE_LINK_MAX_DOWNLOADS = 2
    sent = _send(make_user(Role.FRONT_DESK, location), _chart_document(location))
    path = _link_path(_mail(smtp.envelopes[0]))
    client = Client()
    assert [client.post(path, {"code": sent.access_code}).status_code for _ in range(3)] == [
        200,
        200,
        404,
    ]
    assert SecureLink.objects.get().download_count == 2


def test_staff_revoke_a_link_from_the_correspondence_log(smtp, staff_client, make_user, location):
    user = make_user(Role.FRONT_DESK, location)
    sent = _send(user, _chart_document(location))
    path = _link_path(_mail(smtp.envelopes[0]))
    client = staff_client(user=user)

    log = client.get(reverse("documents:correspondence"), {"direction": "out", "channel": "email"})
    assert log.status_code == 200
    assert b"records@example.com" in log.content
    assert b"Secure link: 0 of 5 downloads" in log.content
    revoke_url = reverse("documents:secure_link_revoke", args=[sent.link.pk])
    assert revoke_url.encode() in log.content
    # Someone who may only view documents sees the row but no revoke button, and cannot revoke.
    viewer = staff_client(Role.PROVIDER)
    assert revoke_url.encode() not in viewer.get(reverse("documents:correspondence")).content
    assert viewer.post(revoke_url).status_code == 403

    response = client.post(revoke_url, {"next_query": "direction=out"})

    assert response.status_code == 302
    assert response["Location"] == reverse("documents:correspondence") + "?direction=out"
    link = SecureLink.objects.get()
    assert (link.revoked_by_id, link.revoked_at is not None) == (user.pk, True)
    gone = Client().post(path, {"code": sent.access_code})
    assert gone.status_code == 404 and INVALID in gone.content
    assert b"Revoke link" not in client.get(reverse("documents:correspondence")).content
    # Revoking twice changes nothing and audits once.
    assert secure_link_revoke(actor=user, link_id=link.pk).revoked_at == link.revoked_at
    assert AuditEvent.objects.filter(object_type="secure_link", action="update").count() == 1


def test_sending_needs_the_send_action_and_the_patients_scope(smtp, make_user, location):
    document = _chart_document(location)
    with pytest.raises(PermissionDenied):
        _send(make_user(Role.PROVIDER, location), document)
    # Chart documents are scoped by their patient: a confidential chart is not found.
    hidden = _chart_document(location, patient=PatientFactory(is_restricted=True))
    clerk = make_user(Role.FRONT_DESK, location)
    with pytest.raises(NotFound):
        _send(clerk, hidden)
    with pytest.raises(NotFound):
        document_send_secure_email(actor=clerk, document_id=0, to_email="a@example.com")
    sent = _send(clerk, document)
    with pytest.raises(NotFound):
        secure_link_revoke(actor=make_user(Role.FRONT_DESK, location), link_id=0)
    with pytest.raises(PermissionDenied):
        secure_link_revoke(actor=make_user(Role.PROVIDER, location), link_id=sent.link.pk)
    assert Correspondence.objects.count() == 1 and SecureLink.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"to": "not an address"}, "to_email"),
        ({"to": "a@example.com\nBcc: b@example.com"}, "to_email"),
        ({"message": "x" * 1001}, "message"),
        ({"purpose": "gossip"}, "purpose"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(smtp, make_user, location, fields, field):
    with pytest.raises(ValidationFailed) as refused:
        _send(make_user(Role.FRONT_DESK, location), _chart_document(location), **fields)
    assert refused.value.field == field
    assert (Correspondence.objects.count(), SecureLink.objects.count(), smtp.envelopes) == (
        0,
        0,
        [],
    )


def test_without_a_public_url_nothing_can_be_sent(smtp, make_user, location, settings):
    settings.PUBLIC_URL = ""
    with pytest.raises(ValidationFailed, match="FRONTDESK_PUBLIC_URL"):
        _send(make_user(Role.FRONT_DESK, location), _chart_document(location))
    assert Correspondence.objects.count() == 0


def test_a_mail_server_that_is_down_fails_the_row_and_closes_the_link(
    make_user, location, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    user = make_user(Role.FRONT_DESK, location)

    sent = _send(user, _chart_document(location))

    row = Correspondence.objects.get()
    assert (row.status, row.error, row.external_id) == (
        CorrespondenceStatus.FAILED,
        "ConnectionRefusedError",
        "",
    )
    link = SecureLink.objects.get()
    assert (link.revoked_at is not None, link.revoked_by_id) == (True, None)
    assert sent.correspondence.status == CorrespondenceStatus.FAILED
    failed = AuditEvent.objects.get(object_type="correspondence", outcome="failure")
    assert failed.detail == {"status": "failed", "error": "ConnectionRefusedError"}


def test_the_send_page_shows_the_code_once(smtp, staff_client, location):
    document = _chart_document(location)
    client = staff_client(Role.FRONT_DESK)
    url = reverse("documents:document_secure_email", args=[document.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert b'name="to_email"' in page.content and b"3 pages" in page.content
    assert document.patient.last_name.encode() not in page.content
    chart = client.get(reverse("documents:document", args=[document.pk]))
    assert url.encode() in chart.content

    refused = client.post(url, {"to_email": "nope", "purpose": "treatment"})
    assert refused.status_code == 422 and b"Enter a valid e-mail address." in refused.content
    assert Correspondence.objects.count() == 0

    sent = client.post(
        url, {"to_email": "records@example.com", "purpose": "patient_request", "message": ""}
    )

    assert sent.status_code == 200
    row = Correspondence.objects.get()
    assert f"Sent as #{row.pk} to records@example.com".encode() in sent.content
    (code,) = re.findall(
        rb'<p class="access-code" id="access-code"><strong>(\d{6})</strong>', sent.content
    )
    assert SecureLink.objects.get().purpose == "patient_request"
    # The code works, and appears nowhere else: not in the e-mail.
    assert code.decode() not in _mail(smtp.envelopes[0]).get_content()
    assert (
        Client().post(_link_path(_mail(smtp.envelopes[0])), {"code": code.decode()}).status_code
        == 200
    )
    assert staff_client(Role.PROVIDER).get(url).status_code == 403
    hidden = _chart_document(location, patient=PatientFactory(is_restricted=True))
    hidden_url = reverse("documents:document_secure_email", args=[hidden.pk])
    assert client.get(hidden_url).status_code == 404


def test_the_pickup_form_needs_the_csrf_token(smtp, make_user, location):
    sent = _send(make_user(Role.FRONT_DESK, location), _chart_document(location))
    path = _link_path(_mail(smtp.envelopes[0]))
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(path, {"code": sent.access_code}).status_code == 403
    assert SecureLink.objects.get().download_count == 0


def test_a_client_that_keeps_missing_is_throttled(make_user, location):
    client = Client()
    for number in range(PICKUP_MISS_LIMIT):
        assert (
            client.get(reverse("documents:secure_pickup", args=[f"guess{number}"])).status_code
            == 404
        )
    assert client.get(reverse("documents:secure_pickup", args=["guess-more"])).status_code == 429


def test_the_database_keeps_the_link_invariants(smtp, make_user, location):
    sent = _send(make_user(Role.FRONT_DESK, location), _chart_document(location))
    links = SecureLink.objects.filter(pk=sent.link.pk)
    for change in (
        {"download_count": 6},
        {"failed_attempts": 6},
        {"max_downloads": 0},
        {"expires_at": sent.link.created_at},
        {"download_count": 1},  # without a last download time
        {"revoked_by": sent.link.created_by},  # without a revoke time
        {"purpose": "gossip"},
        {"token_hash": "short"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            links.update(**change)
