"""``frontdesk backup PATH``: a consistent copy of the database and stored files, with a manifest."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from frontdesk.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database and stored files to PATH: a new directory, or a file ending in .tar.gz."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup_create(destination=options["path"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"Backup written to {options['path']}: {manifest['database']['vendor']} database, "
            f"{len(manifest['tables'])} tables, {rows} rows, {len(manifest['files'])} stored files, "
            f"audit chain head {manifest['audit_chain']['head_sequence']}."
        )
        self.stdout.write(
            "Keys are not in the backup: keep FRONTDESK_SECRET_KEY, FRONTDESK_AUDIT_KEY and "
            "FRONTDESK_ENCRYPTION_KEYS (or the data directory's key files) safe separately."
        )
