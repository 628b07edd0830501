"""``frontdesk restore PATH [--force]``: restore a backup into the configured database and verify it."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from frontdesk.ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup (directory or .tar.gz) into the configured database and file storage, then "
        "verify row counts, the audit chain and file hashes. Stop FrontDesk first."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database that already holds data (and stored files that differ).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        try:
            report = backup_restore(source=path, force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if not report.ok:
            lines = "\n".join(f"  - {problem}" for problem in report.problems)
            raise CommandError(f"Restore did NOT verify:\n{lines}")
        manifest = report.manifest
        self.stdout.write(
            f"Restored and verified the backup of {manifest['created_at']}: "
            f"{len(manifest['tables'])} tables with matching row counts, audit chain intact at "
            f"sequence {manifest['audit_chain']['head_sequence']}, {len(manifest['files'])} stored "
            "files with matching SHA-256."
        )
