"""``frontdesk eligibility import FILE``: attach the answers of a 271 file to the checks waiting for
them (matched by trace number; all or nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.core.errors import DomainError
from frontdesk.eligibility.management.commands.eligibility_request import _actor
from frontdesk.eligibility.services import eligibility_import_271


class Command(BaseCommand):
    help = "Import a 271 eligibility response file (matched to the waiting checks by trace number)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The 271 file.")
        parser.add_argument(
            "--user", help="Import as this user; default: the eligibility system user."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]).expanduser()
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        try:
            checks = eligibility_import_271(actor=_actor(options["user"]), data=path.read_bytes())
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for check in checks:
            state = {True: "active", False: "inactive", None: "not stated"}[check.active]
            self.stdout.write(
                f"Check {check.pk} (trace {check.trace_number}): {check.get_status_display()}, "
                f"coverage {state}."
            )
        self.stdout.write(f"Imported {len(checks)} answer{'s' if len(checks) != 1 else ''}.")
