"""``frontdesk downtime build [--out DIR]``: write the encrypted downtime packet now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.printing.downtime import DowntimeError, downtime_packet_build


class Command(BaseCommand):
    help = "Write the downtime packet (schedules and face sheets, AES-256 encrypted PDFs) to DIR."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", type=Path, default=None, help="Directory (default FRONTDESK_DOWNTIME_DIR)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = downtime_packet_build(out_dir=options["out"])
        except DowntimeError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Downtime packet {manifest['build']}: {len(manifest['packets'])} location(s), "
            f"{manifest['appointment_count']} appointment(s)."
        )
