"""``frontdesk settlement import FILE [--location L] [--user USERNAME]``: match a card settlement file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.core.errors import DomainError
from frontdesk.payments.settlement import settlement_import
from frontdesk.practice.models import Location


class Command(BaseCommand):
    help = (
        "Import the card processor's settlement file (CSV, docs/settlement-format.md) and report "
        "matched, missing in FrontDesk, missing at the processor and amount mismatches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The settlement CSV file.")
        parser.add_argument("--location", help="Only this location's card payments (code or id).")
        parser.add_argument(
            "--user", help="Import as this user (needs settlement import); default: system."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"].expanduser()
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        location = None
        if options["location"]:
            raw = str(options["location"]).strip()
            location = Location.objects.filter(code=raw).first()
            if location is None and raw.isdigit():
                location = Location.objects.filter(pk=int(raw)).first()
            if location is None:
                raise CommandError(f"No location with code or id {raw!r}.")
        actor = None
        if options["user"]:
            actor = (
                get_user_model().objects.filter(username=options["user"], is_active=True).first()
            )
            if actor is None:
                raise CommandError(f"No active user {options['user']!r}.")
        try:
            record, created = settlement_import(
                actor=actor, data=path.read_bytes(), file_name=path.name, location=location
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if not created:
            self.stdout.write(
                f"This file was already imported (import {record.pk}, "
                f"{record.imported_at:%Y-%m-%d %H:%M}); nothing changed."
            )
        s = record.summary
        self.stdout.write(
            f"Settlement import {record.pk}: {s['matched']} matched, "
            f"{s['missing_in_frontdesk']} missing in FrontDesk, "
            f"{s['missing_at_processor']} missing at the processor, "
            f"{s['amount_mismatch']} amount mismatches, {s['malformed']} malformed rows."
        )
        for error in record.errors:
            self.stdout.write(f"  line {error['line']}: {error['message']}")
        for line in record.lines.exclude(result="matched").order_by("line_number", "pk"):
            where = f"line {line.line_number}" if line.line_number else "FrontDesk"
            self.stdout.write(
                f"  {where}: {line.get_result_display()} "
                f"{line.transaction_id or line.reference} "
                f"processor {line.amount if line.amount is not None else '-'} "
                f"FrontDesk {line.frontdesk_amount if line.frontdesk_amount is not None else '-'}"
            )
