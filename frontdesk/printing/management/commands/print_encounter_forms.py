"""``frontdesk print encounter-forms --location L --date D --out FILE.pdf``: a day's encounter forms."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from frontdesk.printing.management.commands import _print_common
from frontdesk.printing.printouts import encounter_forms_pdf


class Command(BaseCommand):
    help = "Write every encounter form of a location's day (one page each) to a PDF file; audited."

    def add_arguments(self, parser: CommandParser) -> None:
        _print_common.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        location, day = _print_common.location_and_day(options)
        document = encounter_forms_pdf(
            user=None, location=location, day=day, system_name="system (print encounter-forms)"
        )
        _print_common.write_atomically(options["out"], document.content)
        self.stdout.write(
            f"Encounter forms of {location.code} on {day.isoformat()}: "
            f"{len(document.appointment_ids)} form(s) written to {options['out']}."
        )
