"""``frontdesk codes import-cpt FILE.csv [--effective-from D] [--check]``: the practice's codes and fees."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.coding.errors import CodeImportInvalid
from frontdesk.coding.services import codes_import
from frontdesk.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import the practice's licensed CPT codes (and HCPCS codes), standard charges and payer "
        "allowed amounts from CSV (format: docs/codes.md). All or nothing; importing again updates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file.")
        parser.add_argument(
            "--effective-from",
            type=dt.date.fromisoformat,
            help="Prices go into the schedules in force on this date (YYYY-MM-DD; default today).",
        )
        parser.add_argument("--check", action="store_true", help="Validate only; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"].expanduser()
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        try:
            result = codes_import(
                actor=None,
                data=path.read_bytes(),
                file_name=path.name,
                effective_from=options["effective_from"],
                check_only=options["check"],
            )
        except CodeImportInvalid as exc:
            for error in exc.errors:
                self.stderr.write(error["message"])
            raise CommandError(f"Nothing was imported: {len(exc.errors)} problem(s).") from None
        except DomainError as exc:
            raise CommandError(exc.message) from None
        verb = "would import" if result.checked_only else "imported"
        self.stdout.write(
            f"{path.name}: {verb} {result.rows} rows: {result.codes_created} new codes, "
            f"{result.codes_updated} descriptions changed, {result.prices_set} prices"
            + (f" into {', '.join(result.schedules)}" if result.schedules else "")
            + "."
        )
