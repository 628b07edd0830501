"""``frontdesk documents watch [--once]``: take complete files from the watched folders."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from frontdesk.documents.intake.folder import folder_poll, watch_dirs


class Command(BaseCommand):
    help = (
        "Receive the complete files in the watched folders (FRONTDESK_DOCUMENT_WATCH_DIRS) and move "
        "them to <folder>/.frontdesk/done/ (or failed/, with the reason). Without --once it polls "
        "every --interval seconds until stopped; the clock also runs it every minute."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument("--interval", type=float, default=10.0, help="Seconds between passes.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not watch_dirs():
            self.stderr.write("No watched folders: set FRONTDESK_DOCUMENT_WATCH_DIRS.")
            return
        while True:
            result = folder_poll()
            for path in result.received:
                self.stdout.write(f"{path}: received")
            for path in result.recovered:
                self.stdout.write(f"{path}: received earlier, moved now")
            for path in result.failed:
                self.stdout.write(f"{path}: failed (see .frontdesk/failed/)")
            for error in result.errors:
                self.stderr.write(error)
            if options["once"]:
                return
            time.sleep(max(1.0, options["interval"]))
