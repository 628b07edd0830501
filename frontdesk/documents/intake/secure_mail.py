"""Secure e-mail: a chart document behind a link and an access code told by phone.

The way practices send records by e-mail without putting PHI in a mailbox: the e-mail
(``document_send_secure_email``) says only that the practice has a secure document waiting, the
link, until when it works, and to call for the access code. No patient name, no document title, no
attachment. The link's token is random (256 bits) and stored only as its SHA-256; the 6-digit
access code is shown once to the sender, who tells it to the recipient by phone, and stored only as
a password hash.

The recipient (no account: someone outside the practice) opens the link, types the code and
downloads the version that was sent (``secure_link_download``). Every download is audited under the
recipient's address; the first one is recorded in the patient's accounting of disclosures, because
that is when PHI leaves the practice (a notice that was never opened disclosed nothing). Wrong codes
count; the fifth locks the link. An expired, used-up, locked, revoked or unknown link all look the
same to the recipient (``LinkUnavailable``), so the page answers no questions about a guessed token.

Sending writes the log row (out/e-mail/queued), the link and the audit row in one transaction and
then hands the notice to the mail server; a server that refuses it turns the row failed with the
error's type and revokes the link, so nothing is lost and no half-sent link stays open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, make_msgid
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory, AuditOutcome
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import DomainError, PermissionDenied, ValidationFailed
from frontdesk.core.queryset import get_restricted
from frontdesk.disclosures.choices import Purpose
from frontdesk.disclosures.services import DisclosureEntry, disclosures_record
from frontdesk.documents.blobs import blob_read
from frontdesk.documents.choices import Channel, CorrespondenceStatus, Direction, DocType, Kind
from frontdesk.documents.intake.faxes import as_pdf
from frontdesk.documents.models import (
    SECURE_LINK_MAX_ATTEMPTS,
    Correspondence,
    Document,
    SecureLink,
)

MAX_MESSAGE = 1000
CODE_DIGITS = 6
SENDABLE_KINDS = frozenset({Kind.PDF, Kind.JPEG, Kind.PNG, Kind.TIFF})


class LinkUnavailable(DomainError):
    """Unknown, expired, used up, locked or revoked: the recipient is told only to call the practice."""

    http_status = 404

    def __init__(self) -> None:
        super().__init__(
            "This link is no longer valid. Please contact the practice.", code="link_unavailable"
        )


class WrongCode(DomainError):
    """The access code did not match; the attempt was counted."""

    http_status = 400

    def __init__(self) -> None:
        super().__init__(
            "That access code is not right. Check it with the practice and try again.",
            code="wrong_code",
            field="code",
        )


@dataclass(frozen=True)
class SecureSend:
    """What sending returns: the log row, the link, and the access code (shown once, never stored)."""

    correspondence: Correspondence
    link: SecureLink
    access_code: str


@dataclass(frozen=True)
class SecureDownload:
    """The bytes a recipient downloads and the name they are saved under (no PHI in it)."""

    data: bytes
    filename: str
    link: SecureLink


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def normalize_email(raw: str) -> str:
    """The address trimmed, its domain lower-cased; ValidationFailed when it is not an address."""
    address = (raw or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationFailed("Enter a valid e-mail address.", field="to_email") from None
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def _public_url() -> str:
    base: str = settings.PUBLIC_URL
    if not base:
        raise ValidationFailed(
            "Secure e-mail needs the site's public address: set FRONTDESK_PUBLIC_URL.",
            field="to_email",
        )
    return base


def _recipient_name(link: SecureLink) -> str:
    return f"secure link recipient {link.recipient}"


def notice_content(
    *, practice: str, phone: str, url: str, expires_at: dt.datetime, max_downloads: int, note: str
) -> tuple[str, str]:
    """Subject and body of the notice. Nothing from the chart: only the practice and the link."""
    subject = f"{practice}: a secure document is waiting for you"
    call = f"call {practice} at {phone}" if phone else f"call {practice}"
    lines = [
        f"{practice} has sent you a document through a secure link.",
        "",
        f"Open it here: {url}",
        "",
        f"To open it you need an access code: please {call} to get it.",
        f"The link works until {expires_at:%Y-%m-%d %H:%M %Z} "
        f"and for up to {max_downloads} download{'s' if max_downloads != 1 else ''}.",
    ]
    if note:
        lines += ["", f"Note from {practice}:", note]
    lines += [
        "",
        "If you did not expect this message, please ignore it or let us know.",
    ]
    return subject, "\n".join(lines) + "\n"


def document_send_secure_email(
    *,
    actor: Any,
    document_id: Any,
    to_email: str,
    message: str = "",
    purpose: str = Purpose.TREATMENT,
) -> SecureSend:
    """Send a chart document's current version by secure link; returns row, link and access code.

    The log row, the link and the audit row commit together before the notice goes to the mail
    server; a refused notice turns the row failed and revokes the link. NotFound for a document
    outside the actor's scope; PermissionDenied without document.send; ValidationFailed (nothing
    written) for a bad address, an over-long note, an unknown purpose, a document without a file
    that can be sent, or no FRONTDESK_PUBLIC_URL.
    """
    if not actor.can(A.DOCUMENT_SEND):
        raise PermissionDenied()
    document: Document = get_restricted(
        Document.objects.select_related("location__organization"),
        actor,
        A.DOCUMENT_SEND,
        pk=document_id,
    )
    address = normalize_email(to_email)
    note = (message or "").strip()
    if len(note) > MAX_MESSAGE:
        raise ValidationFailed(f"Keep the message under {MAX_MESSAGE} characters.", field="message")
    if purpose not in Purpose.values:
        raise ValidationFailed("Choose why the document is sent.", field="purpose")
    days = int(settings.FRONTDESK_SECURE_LINK_DAYS)
    max_downloads = int(settings.FRONTDESK_SECURE_LINK_MAX_DOWNLOADS)
    if days < 1 or max_downloads < 1:
        raise ValidationFailed(
            "FRONTDESK_SECURE_LINK_DAYS and FRONTDESK_SECURE_LINK_MAX_DOWNLOADS must be at least 1.",
            field="to_email",
        )
    base = _public_url()
    version = document.versions.select_related("blob").order_by("-number").first()
    if version is None or version.blob.kind not in SENDABLE_KINDS:
        raise ValidationFailed("The document has no file that can be sent.", field="document")
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = timezone.now()
    expires_at = now + dt.timedelta(days=days)
    location = document.location
    with transaction.atomic():
        row = Correspondence.objects.create(
            location=location,
            direction=Direction.OUT,
            channel=Channel.EMAIL,
            status=CorrespondenceStatus.QUEUED,
            counterpart=address[:200],
            subject="Secure link",
            pages=version.pages,
            patient_id=document.patient_id,
            document=document,
            created_by=actor,
        )
        link = SecureLink.objects.create(
            document=document,
            version=version,
            correspondence=row,
            recipient=address,
            token_hash=token_hash(token),
            code_hash=make_password(code),
            purpose=purpose,
            expires_at=expires_at,
            max_downloads=max_downloads,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.EXPORT,
            category=AuditCategory.DOCUMENTS,
            patient_id=document.patient_id,
            object_type="correspondence",
            object_id=row.pk,
            detail={
                "channel": Channel.EMAIL,
                "document_id": document.pk,
                "version": version.number,
                "pages": version.pages,
                "secure_link": link.pk,
                "purpose": purpose,
            },
        )
    url = base + reverse("documents:secure_pickup", args=[token])
    subject, body = notice_content(
        practice=location.organization.name,
        phone=location.phone,
        url=url,
        expires_at=timezone.localtime(expires_at, location.tzinfo),
        max_downloads=max_downloads,
        note=note,
    )
    message_id = make_msgid(domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None)
    email = EmailMessage(
        subject=subject,
        body=body,
        to=[address],
        headers={"Message-ID": message_id},
    )
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # smtplib, socket and TLS errors alike: the row keeps the type only
        return _send_failed(row, link, actor=actor, error=type(exc).__name__, code=code)
    with transaction.atomic():
        Correspondence.objects.filter(pk=row.pk).update(
            status=CorrespondenceStatus.SENT, external_id=message_id[:200]
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.DOCUMENTS,
            patient_id=row.patient_id,
            object_type="correspondence",
            object_id=row.pk,
            detail={"status": CorrespondenceStatus.SENT},
        )
    row.refresh_from_db()
    return SecureSend(correspondence=row, link=link, access_code=code)


def _send_failed(
    row: Correspondence, link: SecureLink, *, actor: Any, error: str, code: str
) -> SecureSend:
    now = timezone.now()
    with transaction.atomic():
        Correspondence.objects.filter(pk=row.pk).update(
            status=CorrespondenceStatus.FAILED, error=error[:200] or "failed"
        )
        SecureLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            category=AuditCategory.DOCUMENTS,
            patient_id=row.patient_id,
            object_type="correspondence",
            object_id=row.pk,
            outcome=AuditOutcome.FAILURE,
            detail={"status": CorrespondenceStatus.FAILED, "error": error[:80]},
        )
    row.refresh_from_db()
    link.refresh_from_db()
    return SecureSend(correspondence=row, link=link, access_code=code)


def secure_link_revoke(*, actor: Any, link_id: Any) -> SecureLink:
    """Close a secure link now (sent to the wrong address, no longer wanted). Revoking twice is a
    no-op. NotFound outside the actor's scope; PermissionDenied without document.send."""
    if not actor.can(A.DOCUMENT_SEND):
        raise PermissionDenied()
    link: SecureLink = get_restricted(SecureLink.objects.all(), actor, A.DOCUMENT_SEND, pk=link_id)
    with transaction.atomic():
        updated = SecureLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        )
        if updated:
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                category=AuditCategory.DOCUMENTS,
                patient_id=link.correspondence.patient_id,
                object_type="secure_link",
                object_id=link.pk,
                detail={"revoked": True, "correspondence": link.correspondence_id},
            )
    link.refresh_from_db()
    return link


# --- the recipient's side (no account) ------------------------------------------------------------


def secure_link_for_token(*, token: str) -> SecureLink | None:
    """The link a token opens when it may still be used, else None (whatever the reason)."""
    if not token or len(token) > 100:
        return None
    link = SecureLink.objects.filter(token_hash=token_hash(token)).first()
    if link is None or link.state(timezone.now()) != "usable":
        return None
    return link


def secure_link_download(*, token: str, code: str) -> SecureDownload:
    """The sent version's bytes (as PDF) for the right access code; counts, audits, discloses.

    LinkUnavailable when the link cannot be used (for any reason); WrongCode when the code does
    not match, after counting the attempt (the last allowed one locks the link).
    """
    if not token or len(token) > 100:
        raise LinkUnavailable()
    digest = token_hash(token)
    typed = "".join((code or "").split())[:20]
    with transaction.atomic():
        link = (
            SecureLink.objects.select_for_update()
            .select_related("version__blob", "document", "correspondence", "created_by")
            .filter(token_hash=digest)
            .first()
        )
        now = timezone.now()
        if link is None or link.state(now) != "usable":
            raise LinkUnavailable()
        if typed.isdigit() and check_password(typed, link.code_hash):
            data = _hand_out(link, now)
            wrong: DomainError | None = None
        else:
            # Counted and committed although the caller is told "wrong" (no exception inside).
            wrong = _count_wrong_code(link)
    if wrong is not None:
        raise wrong
    link.refresh_from_db()
    return SecureDownload(data=data, filename=f"document-{link.document_id}.pdf", link=link)


def _count_wrong_code(link: SecureLink) -> DomainError:
    attempts = link.failed_attempts + 1
    SecureLink.objects.filter(pk=link.pk).update(failed_attempts=attempts)
    locked = attempts >= SECURE_LINK_MAX_ATTEMPTS
    audit_record(
        actor=None,
        actor_name=_recipient_name(link),
        action=AuditAction.READ,
        category=AuditCategory.DOCUMENTS,
        patient_id=link.document.patient_id,
        object_type="secure_link",
        object_id=link.pk,
        outcome=AuditOutcome.FAILURE,
        detail={"reason": "wrong_code", "attempts": attempts, "locked": locked},
    )
    return LinkUnavailable() if locked else WrongCode()


def _hand_out(link: SecureLink, now: dt.datetime) -> bytes:
    """Count, audit and (the first time) disclose one download of a locked link row; its bytes."""
    version = link.version
    data = as_pdf(blob_read(version.blob), version.blob.kind)
    count = link.download_count + 1
    SecureLink.objects.filter(pk=link.pk).update(download_count=count, last_download_at=now)
    patient_id = link.document.patient_id
    audit_record(
        actor=None,
        actor_name=_recipient_name(link),
        action=AuditAction.READ,
        category=AuditCategory.DOCUMENTS,
        patient_id=patient_id,
        object_type="document",
        object_id=link.document_id,
        detail={"secure_link": link.pk, "version": version.number, "download": count},
    )
    if count == 1:
        # PHI leaves the practice when the recipient first opens it, not when the notice is sent.
        label = DocType(link.document.doc_type).label
        pages = f"{version.pages} page{'s' if version.pages != 1 else ''}"
        disclosures_record(
            actor=link.created_by,
            entries=[
                DisclosureEntry(
                    patient_id=patient_id,
                    recipient=f"E-mail {link.recipient}",
                    recipient_identifier=link.recipient[:80],
                    purpose=link.purpose,
                    description=f"{label} ({pages}) by secure e-mail link",
                    reference=f"correspondence:{link.correspondence_id}",
                    at=now,
                )
            ],
        )
    return data
