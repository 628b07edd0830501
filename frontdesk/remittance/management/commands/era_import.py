"""``frontdesk era import FILE [--user USERNAME]``: read an 835 and post it (once)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.core.errors import DomainError
from frontdesk.remittance.services import era_import, remittance_system_user


class Command(BaseCommand):
    help = (
        "Import an 835 (electronic remittance advice) and post its payments, adjustments, "
        "patient responsibility and denials. A payment already posted is not posted again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The 835 file.")
        parser.add_argument(
            "--user", help="Post as this user (needs remittance posting); default: system."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"].expanduser()
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        if options["user"]:
            actor = (
                get_user_model().objects.filter(username=options["user"], is_active=True).first()
            )
            if actor is None:
                raise CommandError(f"No active user {options['user']!r}.")
        else:
            actor = remittance_system_user()
        try:
            result = era_import(actor=actor, data=path.read_bytes(), filename=path.name)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for remittance in result.posted:
            self.stdout.write(
                f"Posted remittance {remittance.pk}: {remittance.payer_name} trace "
                f"{remittance.trace_number}, {remittance.total_paid} for {remittance.claim_count} "
                "claims."
            )
        self.stdout.write(
            f"{result.claims_posted} claims posted, {result.claims_denied} denied, "
            f"{result.claims_reversed} reversed, {len(result.unmatched)} unmatched."
        )
        for message in result.messages:
            self.stdout.write(f"  {message}")
