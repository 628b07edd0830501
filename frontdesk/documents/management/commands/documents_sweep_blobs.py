"""``frontdesk documents sweep-blobs``: delete stored document files no blob row names."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.core.errors import ValidationFailed
from frontdesk.documents.blobs import blob_sweep_orphans


class Command(BaseCommand):
    help = (
        "Delete the stored document files that no blob names (left by a rolled-back transaction) "
        "and that are older than the grace period. --dry-run only counts them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")
        parser.add_argument(
            "--older-than-hours",
            type=int,
            default=24,
            help="Only files written at least this many hours ago (default 24, at least 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = blob_sweep_orphans(
                older_than=dt.timedelta(hours=options["older_than_hours"]),
                dry_run=options["dry_run"],
            )
        except ValidationFailed as error:
            raise CommandError(error.message) from None
        removed = (
            f"{result.orphans} would be removed (dry run)"
            if options["dry_run"]
            else f"{result.removed} removed"
        )
        self.stdout.write(
            f"{result.files_seen} files seen, {result.orphans} unreferenced and old enough: "
            f"{removed}; {result.recent} unreferenced but recent kept, "
            f"{result.other_files} other files left alone."
        )
