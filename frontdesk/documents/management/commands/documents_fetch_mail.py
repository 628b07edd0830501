"""``frontdesk documents fetch-mail``: one pass over the documents mailbox."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from frontdesk.core.errors import DomainError
from frontdesk.documents.intake.mail import MailError, mail_configured, mail_poll


class Command(BaseCommand):
    help = (
        "Take the unread messages of the documents mailbox (FRONTDESK_DOCUMENT_IMAP_URL) in: their "
        "attachments into the inbox of FRONTDESK_DOCUMENT_IMAP_LOCATION, each message logged, then "
        "marked read. The clock also runs it every minute."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not mail_configured():
            raise CommandError("No documents mailbox: set FRONTDESK_DOCUMENT_IMAP_URL.")
        try:
            result = mail_poll()
        except MailError as exc:
            raise CommandError(str(exc)) from None
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for message_id in result.received:
            self.stdout.write(f"{message_id}: received")
        for message_id in result.skipped:
            self.stdout.write(f"{message_id}: received earlier, marked read now")
        for uid in result.failed:
            self.stdout.write(f"message uid {uid}: failed, left unread")
