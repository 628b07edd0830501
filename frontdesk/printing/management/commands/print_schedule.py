"""``frontdesk print schedule --location L --date D --out FILE.pdf``: a location's day schedule."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from frontdesk.printing.management.commands import _print_common
from frontdesk.printing.printouts import location_schedule_pdf


class Command(BaseCommand):
    help = "Write the day schedule of a location (one page per provider) to a PDF file; audited."

    def add_arguments(self, parser: CommandParser) -> None:
        _print_common.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        location, day = _print_common.location_and_day(options)
        document = location_schedule_pdf(
            user=None, location=location, day=day, system_name="system (print schedule)"
        )
        _print_common.write_atomically(options["out"], document.content)
        self.stdout.write(
            f"Day schedule of {location.code} on {day.isoformat()}: "
            f"{len(document.appointment_ids)} appointment(s) written to {options['out']}."
        )
