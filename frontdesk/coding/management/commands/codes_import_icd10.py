"""``frontdesk codes import-icd10 [FILE] --name N --effective-from D [--effective-to D]``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.coding import selectors
from frontdesk.coding.services import icd10_release_import
from frontdesk.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Load an ICD-10-CM release from CMS's order file (icd10cm-order-YYYY.txt) for dates of "
        "service from --effective-from. Without FILE, list the releases loaded (the FY2026 April "
        "2026 release ships with FrontDesk)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, nargs="?", help="The CMS order file.")
        parser.add_argument("--name", help="The release's name, e.g. FY2027.")
        parser.add_argument("--effective-from", type=dt.date.fromisoformat)
        parser.add_argument("--effective-to", type=dt.date.fromisoformat)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path | None = options["file"]
        if path is not None:
            path = path.expanduser()
            if not path.is_file():
                raise CommandError(f"No file at {path}.")
            if not options["name"] or not options["effective_from"]:
                raise CommandError("Give --name and --effective-from for the release.")
            try:
                release = icd10_release_import(
                    actor=None,
                    data=path.read_bytes(),
                    file_name=path.name,
                    name=options["name"],
                    effective_from=options["effective_from"],
                    effective_to=options["effective_to"],
                )
            except DomainError as exc:
                detail = "; ".join(m for ms in exc.fields.values() for m in ms) or exc.message
                raise CommandError(detail) from None
            self.stdout.write(
                f"ICD-10-CM {release.name}: {release.code_count} codes "
                f"({release.billable_count} billable) loaded."
            )
        for item in selectors.icd10_releases():
            end = item.effective_to.isoformat() if item.effective_to else "onwards"
            source = "bundled" if item.bundled else "imported"
            self.stdout.write(
                f"  {item.title}: {item.effective_from.isoformat()} to {end} ({source})"
            )
