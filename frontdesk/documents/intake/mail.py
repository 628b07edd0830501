"""The documents mailbox: each unread message's attachments into the inbox, the message logged.

``FRONTDESK_DOCUMENT_IMAP_URL`` names the mailbox: ``imaps://user:password@host:993/INBOX`` (TLS
from the start, certificate checked), or ``imap://`` (STARTTLS when the server offers it; plain text
only to a loopback address - tests and a local relay). ``FRONTDESK_DOCUMENT_IMAP_LOCATION`` is the
code of the location whose inbox receives the attachments.

A poll asks for the UNSEEN messages and fetches each with ``BODY.PEEK[]`` (fetching does not mark
it read). Per message, in one transaction: the whole message (.eml bytes) is stored as a blob; each
attachment and inline image goes through ``document_receive`` (source ``email``); one incoming
e-mail ``Correspondence`` row keeps the sender, the subject and the Message-ID. Only after that
commits is the message flagged ``\\Seen``. A Message-ID already logged is not taken in again (a
crash between the commit and the flag, or the same message in the mailbox twice): it is only
flagged. A message without attachments is still logged (its row waits, unhandled, in the
correspondence log for a person).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import imaplib
import ipaddress
import logging
import re
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from typing import cast
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import DomainError, ValidationFailed
from frontdesk.documents import blobs
from frontdesk.documents.choices import Channel, Direction, Source
from frontdesk.documents.intake.records import correspondence_find, correspondence_record_in
from frontdesk.documents.models import Correspondence, InboxItem
from frontdesk.documents.services import document_limits, document_receive
from frontdesk.documents.sniff import sniff
from frontdesk.practice.models import Location

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
_UID = re.compile(rb"UID (\d+)")


class MailError(Exception):
    """The mailbox could not be read (connection, login, protocol); ``str()`` is safe to log."""


@dataclass(frozen=True)
class MailboxConfig:
    secure: bool  # imaps://
    host: str
    port: int
    username: str
    password: str
    mailbox: str


@dataclass
class MailResult:
    received: list[str] = field(default_factory=list)  # Message-IDs taken in now
    skipped: list[str] = field(default_factory=list)  # already logged: only flagged \Seen
    failed: list[str] = field(default_factory=list)  # left unread, tried again next poll


def mail_configured() -> bool:
    return bool(settings.FRONTDESK_DOCUMENT_IMAP_URL)


def parse_imap_url(url: str) -> MailboxConfig:
    """The parts of an ``imap(s)://user:password@host:port/MAILBOX`` URL (ValidationFailed if bad)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"imap", "imaps"} or not parts.hostname:
        raise ValidationFailed(
            "FRONTDESK_DOCUMENT_IMAP_URL must look like imaps://user:password@host:993/INBOX.",
            field="FRONTDESK_DOCUMENT_IMAP_URL",
        )
    secure = parts.scheme == "imaps"
    return MailboxConfig(
        secure=secure,
        host=parts.hostname,
        port=parts.port or (993 if secure else 143),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def _is_loopback(host: str) -> bool:
    try:
        return all(
            ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None)
        )
    except (OSError, ValueError):
        return False


def _connect(config: MailboxConfig) -> imaplib.IMAP4:
    try:
        if config.secure:
            return imaplib.IMAP4_SSL(
                config.host,
                config.port,
                ssl_context=ssl.create_default_context(),
                timeout=TIMEOUT_SECONDS,
            )
        connection = imaplib.IMAP4(config.host, config.port, timeout=TIMEOUT_SECONDS)
        if "STARTTLS" in connection.capabilities:
            connection.starttls(ssl_context=ssl.create_default_context())
        elif not _is_loopback(config.host):
            connection.shutdown()
            raise MailError(
                f"{config.host} offers no STARTTLS: use imaps:// (plain IMAP only to loopback)."
            )
        return connection
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailError(f"cannot connect to {config.host}:{config.port}: {exc}") from None


def _message_id(message: EmailMessage, raw: bytes) -> str:
    """The Message-ID (angle brackets kept), or a content hash when the message has none."""
    found = str(message.get("Message-ID", "") or "").strip()
    return found[:200] if found else f"sha256:{hashlib.sha256(raw).hexdigest()}"


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every attachment and inline image, in message order. Pure."""
    found: list[tuple[str, bytes]] = []
    for number, part in enumerate(message.walk(), start=1):
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        maintype = part.get_content_maintype()
        named_file = bool(part.get_filename()) and maintype != "text"
        if disposition != "attachment" and maintype != "image" and not named_file:
            continue  # the message's own text (plain or HTML) is kept in the .eml, not filed
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        name = part.get_filename() or f"part-{number}.{part.get_content_subtype() or 'bin'}"
        found.append((name, payload))
    return found


def mail_receive(*, raw: bytes, location: Location) -> tuple[Correspondence, bool]:
    """Take one message in (its attachments, its log row, the .eml kept); (row, created).

    A Message-ID already logged returns the existing row and writes nothing.
    """
    message = cast(EmailMessage, email.message_from_bytes(raw, policy=email.policy.default))
    message_id = _message_id(message, raw)
    existing = correspondence_find(
        channel=Channel.EMAIL, direction=Direction.IN, external_id=message_id
    )
    if existing is not None:
        return existing, False
    try:
        return _mail_store(message, raw=raw, location=location, message_id=message_id), True
    except IntegrityError:
        # Another poll took the same message in at the same moment: its row won, this wrote nothing.
        found = correspondence_find(
            channel=Channel.EMAIL, direction=Direction.IN, external_id=message_id
        )
        if found is None:
            raise
        return found, False


def _mail_store(
    message: EmailMessage, *, raw: bytes, location: Location, message_id: str
) -> Correspondence:
    sender = parseaddr(str(message.get("From", "") or ""))[1] or str(message.get("From", ""))
    subject = str(message.get("Subject", "") or "")
    with transaction.atomic():
        eml, _ = blobs.blob_store(raw, sniffed=sniff(raw, name="message.eml", **document_limits()))
        items: list[InboxItem] = [
            document_receive(
                actor=None, location=location, source=Source.EMAIL, name=name, data=data
            )
            for name, data in attachments(message)
        ]
        row = correspondence_record_in(
            location=location,
            channel=Channel.EMAIL,
            source=Source.EMAIL,
            items=items,
            counterpart=sender,
            subject=subject,
            external_id=message_id,
        )
        audit_record(
            actor=None,
            actor_name="document intake (email)",
            action=AuditAction.CREATE,
            category=AuditCategory.DOCUMENTS,
            object_type="correspondence_message",
            object_id=row.pk,
            detail={"blob_id": eml.pk, "attachments": len(items), "size": len(raw)},
        )
    return row


def _mail_location() -> Location:
    code = settings.FRONTDESK_DOCUMENT_IMAP_LOCATION
    location = Location.objects.filter(code=code, is_active=True).first() if code else None
    if location is None:
        raise MailError(
            f"FRONTDESK_DOCUMENT_IMAP_LOCATION {code!r} names no active location."
            if code
            else "Set FRONTDESK_DOCUMENT_IMAP_LOCATION to the code of the receiving location."
        )
    return location


def _check(answer: tuple[str, list], what: str) -> list:  # type: ignore[type-arg]
    status, data = answer
    if status != "OK":
        raise MailError(f"{what} refused: {data!r}")
    return data


def _fetch(connection: imaplib.IMAP4, uid: str) -> bytes | None:
    data = _check(connection.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
    for entry in data:
        if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], bytes):
            return entry[1]
    return None


def mail_poll(*, url: str | None = None) -> MailResult:
    """One pass over the mailbox's unread messages. MailError when the mailbox cannot be read."""
    config = parse_imap_url(url if url is not None else settings.FRONTDESK_DOCUMENT_IMAP_URL)
    location = _mail_location()
    result = MailResult()
    connection = _connect(config)
    try:
        _check(connection.login(config.username, config.password), "LOGIN")
        _check(connection.select(config.mailbox), "SELECT")
        uids = _check(connection.uid("SEARCH", "UNSEEN"), "SEARCH")
        for uid in (uids[0] or b"").decode("ascii").split():
            raw = _fetch(connection, uid)
            if raw is None:
                result.failed.append(uid)
                continue
            try:
                row, created = mail_receive(raw=raw, location=location)
            except DomainError as exc:
                logger.error("Mailbox: message uid %s not received: %s", uid, exc.message)
                result.failed.append(uid)
                continue
            # Committed: only now is the message marked read.
            _check(connection.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "STORE")
            (result.received if created else result.skipped).append(row.external_id)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailError(f"mailbox {config.host}: {exc}") from None
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()
    return result
