"""``frontdesk acks import FILE [--user USERNAME]``: apply a TA1, 999 or 277CA acknowledgment file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.billing.ack_services import acks_import
from frontdesk.core.errors import DomainError


class Command(BaseCommand):
    help = "Apply a TA1, 999 or 277CA acknowledgment to the claims it answers (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The TA1, 999 or 277CA file.")
        parser.add_argument(
            "--user", help="Import as this user (needs remittance post); default: system."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"].expanduser()
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        actor = None
        if options["user"]:
            actor = (
                get_user_model().objects.filter(username=options["user"], is_active=True).first()
            )
            if actor is None:
                raise CommandError(f"No active user {options['user']!r}.")
        try:
            result = acks_import(actor=actor, data=path.read_bytes())
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(result.summary)
        for message in result.messages:
            self.stdout.write(f"  {message}")
