"""``frontdesk codes import-hcpcs FILE``: HCPCS Level II codes from CMS's alpha-numeric file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.coding.errors import CodeImportInvalid
from frontdesk.coding.services import hcpcs_import
from frontdesk.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import HCPCS Level II codes and descriptions from CMS's annual alpha-numeric file "
        "(HCPCYYYY_JAN_ANWEB.txt, fixed width; docs/codes.md). All or nothing; re-import updates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CMS HCPCS text file.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"].expanduser()
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        try:
            result = hcpcs_import(actor=None, data=path.read_bytes(), file_name=path.name)
        except CodeImportInvalid as exc:
            for error in exc.errors:
                self.stderr.write(error["message"])
            raise CommandError(f"Nothing was imported: {len(exc.errors)} problem(s).") from None
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"{path.name}: {result.rows} HCPCS codes, {result.codes_created} new, "
            f"{result.codes_updated} descriptions changed."
        )
