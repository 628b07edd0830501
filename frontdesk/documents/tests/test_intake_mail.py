"""The documents mailbox against a real IMAP server on loopback (tests/imapserver.py)."""

from __future__ import annotations

import io
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from frontdesk.audit.models import AuditEvent
from frontdesk.documents.blobs import blob_read
from frontdesk.documents.choices import Channel, CorrespondenceStatus, Direction, ItemStatus
from frontdesk.documents.intake.mail import (
    MailError,
    _is_loopback,
    attachments,
    mail_poll,
    parse_imap_url,
)
from frontdesk.documents.models import Blob, Correspondence, InboxItem
from frontdesk.documents.tests import samples
from frontdesk.documents.tests.imapserver import ImapServer

pytestmark = pytest.mark.django_db


def _message(
    *,
    message_id: str = "<letter-1@lab.example.com>",
    files: tuple[tuple[str, bytes, str], ...] = (),
    inline_png: bytes | None = None,
    subject: str = "Results for your review",
) -> bytes:
    message = EmailMessage()
    message["From"] = "Test Lab <results@lab.example.com>"
    message["To"] = "documents@clinic.example.com"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    message.set_content("Please find the report attached.")
    if inline_png is not None:
        message.add_alternative("<p>Report <img src='cid:logo'></p>", subtype="html")
        html = message.get_payload()[1]  # type: ignore[index]
        html.add_related(inline_png, maintype="image", subtype="png", cid="<logo>")
    for name, data, subtype in files:
        maintype, _, sub = subtype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=sub, filename=name)
    return message.as_bytes()


@pytest.fixture
def mailbox(settings, location):
    settings.FRONTDESK_DOCUMENT_IMAP_LOCATION = location.code
    with ImapServer(user="docs", password="pw with space") as server:
        settings.FRONTDESK_DOCUMENT_IMAP_URL = server.url.replace(
            "pw with space", "pw%20with%20space"
        )
        yield server


def test_the_url_names_the_mailbox():
    config = parse_imap_url("imaps://docs%40clinic:s%3Acret@mail.example.com/Scans")
    assert (config.secure, config.host, config.port, config.username, config.password) == (
        True,
        "mail.example.com",
        993,
        "docs@clinic",
        "s:cret",
    )
    assert config.mailbox == "Scans"
    assert parse_imap_url("imap://u:p@127.0.0.1").port == 143
    assert parse_imap_url("imap://u:p@127.0.0.1").mailbox == "INBOX"


def test_attachments_and_inline_images_are_taken_not_the_text():
    raw = _message(
        files=(("report.pdf", samples.pdf(), "application/pdf"),), inline_png=samples.png()
    )
    import email
    import email.policy

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert [(name, data[:4]) for name, data in attachments(parsed)] == [  # type: ignore[arg-type]
        ("part-6.png", b"\x89PNG"),
        ("report.pdf", b"%PDF"),
    ]


def test_a_poll_takes_each_unread_message_in_and_marks_it_read(mailbox, location):
    first = mailbox.add(
        _message(
            files=(
                ("report.pdf", samples.pdf(pages=2), "application/pdf"),
                ("page.html", samples.HTML, "text/html"),
            )
        )
    )
    read_already = mailbox.add(_message(message_id="<old@lab.example.com>"), flags={"\\Seen"})
    no_files = mailbox.add(_message(message_id="<note@lab.example.com>", subject="Call me"))

    result = mail_poll()

    assert result.received == ["<letter-1@lab.example.com>", "<note@lab.example.com>"]
    assert result.skipped == [] and result.failed == []
    assert mailbox.flags(first) == {"\\Seen"} and mailbox.flags(no_files) == {"\\Seen"}
    assert mailbox.flags(read_already) == {"\\Seen"}
    items = list(InboxItem.objects.order_by("pk"))
    assert [(i.source, i.display_name, i.status, i.location_id) for i in items] == [
        ("email", "report.pdf", ItemStatus.RECEIVED, location.pk),
        ("email", "page.html", ItemStatus.QUARANTINED, location.pk),
    ]
    letter, note = Correspondence.objects.order_by("pk")
    assert (
        letter.direction,
        letter.channel,
        letter.status,
        letter.counterpart,
        letter.subject,
        letter.pages,
        letter.inbox_item_id,
        letter.external_id,
    ) == (
        Direction.IN,
        Channel.EMAIL,
        CorrespondenceStatus.RECEIVED,
        "results@lab.example.com",
        "Results for your review",
        2,
        items[0].pk,
        "<letter-1@lab.example.com>",
    )
    assert (note.inbox_item_id, note.subject, note.pages, note.handled_at) == (
        None,
        "Call me",
        0,
        None,
    )
    # The whole message is kept, encrypted, as a blob named in the audit row.
    kept = AuditEvent.objects.filter(object_type="correspondence_message", object_id=str(letter.pk))
    blob = Blob.objects.get(pk=kept.get().detail["blob_id"])
    assert blob_read(blob) == mailbox.messages[0].raw
    # The message was fetched with PEEK (not marked read) and flagged only afterwards.
    fetches = [c for c in mailbox.commands if " UID FETCH " in c or " UID STORE " in c]
    assert [c.split(" ", 1)[1] for c in fetches] == [
        f"UID FETCH {first} (BODY.PEEK[])",
        f"UID STORE {first} +FLAGS (\\Seen)",
        f"UID FETCH {no_files} (BODY.PEEK[])",
        f"UID STORE {no_files} +FLAGS (\\Seen)",
    ]


def test_a_message_already_logged_is_only_marked_read(mailbox):
    raw = _message(files=(("report.pdf", samples.pdf(), "application/pdf"),))
    mailbox.add(raw)
    mail_poll()
    # A crash after the commit, before the flag: the message is still unread; or it came twice.
    again = mailbox.add(raw)

    result = mail_poll()

    assert result.received == [] and result.skipped == ["<letter-1@lab.example.com>"]
    assert mailbox.flags(again) == {"\\Seen"}
    assert InboxItem.objects.count() == 1
    assert Correspondence.objects.count() == 1


def test_a_message_without_message_id_is_keyed_by_its_content(mailbox):
    raw = _message(message_id="")
    mailbox.add(raw)
    mailbox.add(raw)

    result = mail_poll()

    assert len(result.received) == 1 and result.skipped == result.received
    assert result.received[0].startswith("sha256:")


def test_a_wrong_password_is_a_mail_error_and_takes_nothing(mailbox, settings):
    mailbox.add(_message())
    settings.FRONTDESK_DOCUMENT_IMAP_URL = mailbox.url.replace("pw with space", "wrong")
    with pytest.raises(MailError, match="AUTHENTICATIONFAILED"):
        mail_poll()
    assert Correspondence.objects.count() == 0


def test_plain_imap_is_only_for_loopback():
    assert (_is_loopback("127.0.0.1"), _is_loopback("::1"), _is_loopback("192.0.2.1")) == (
        True,
        True,
        False,
    )


def test_the_command_fetches_once(mailbox):
    mailbox.add(_message())
    out = io.StringIO()
    call_command("documents_fetch_mail", stdout=out)
    assert out.getvalue().splitlines() == ["<letter-1@lab.example.com>: received"]


def test_a_message_that_cannot_be_stored_stays_unread_for_the_next_poll(mailbox, settings):
    uid = mailbox.add(_message(files=(("report.pdf", samples.pdf(), "application/pdf"),)))
    settings.PRODUCTION = True  # production without FRONTDESK_DOCUMENT_KEYS stores nothing
    settings.FRONTDESK_DOCUMENT_KEYS = []

    result = mail_poll()

    assert (result.received, result.failed) == ([], [str(uid)])
    assert mailbox.flags(uid) == set()
    assert Correspondence.objects.count() == 0 and InboxItem.objects.count() == 0

    settings.PRODUCTION = False
    assert mail_poll().received == ["<letter-1@lab.example.com>"]
    assert mailbox.flags(uid) == {"\\Seen"}
