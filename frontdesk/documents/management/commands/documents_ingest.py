"""``frontdesk documents ingest PATH... [--source S] [--location CODE] [--user USERNAME] [--wait]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from frontdesk.core.errors import DomainError
from frontdesk.documents.choices import Source
from frontdesk.documents.services import document_receive
from frontdesk.practice.models import Location

CLI_SOURCES = (Source.FAX, Source.SCAN, Source.EMAIL, Source.UPLOAD, Source.CLI)


class Command(BaseCommand):
    help = (
        "Put files into a location's document inbox, one line per file: received, duplicate of an "
        "earlier item, or quarantined with the reason. Files are judged by content; bad ones are "
        "quarantined and kept, never refused. The files are queued for the pipeline like any other "
        "arrival; with --wait the command processes them itself (a worker that picks one up meanwhile "
        "is harmless: an item is processed once) and says how each ended: filed or waiting for review."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="Files to ingest.")
        parser.add_argument(
            "--source",
            default=Source.CLI,
            choices=[str(source) for source in CLI_SOURCES],
            help="Where the files came from (default: cli).",
        )
        parser.add_argument(
            "--location",
            help="The inbox's location (code or id); may be left out when there is only one.",
        )
        parser.add_argument(
            "--user",
            help="Ingest as this user (needs document.receive at the location); default: system. "
            "Required with --source upload.",
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Return only when the files are processed (filed, or waiting for review).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        location = self._location(options["location"])
        actor = None
        if options["user"]:
            actor = (
                get_user_model().objects.filter(username=options["user"], is_active=True).first()
            )
            if actor is None:
                raise CommandError(f"No active user {options['user']!r}.")
        paths: list[Path] = [path.expanduser() for path in options["paths"]]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError("No file at " + ", ".join(missing) + "; nothing was ingested.")
        received: list[int] = []
        for path in paths:
            try:
                item = document_receive(
                    actor=actor,
                    location=location,
                    source=options["source"],
                    name=path.name,
                    data=path.read_bytes(),
                )
            except DomainError as exc:
                raise CommandError(f"{path}: {exc.message}") from None
            if item.is_quarantined:
                outcome = f"quarantined: {item.quarantine_reason}"
            elif item.duplicate_of_id is not None:
                outcome = f"duplicate of #{item.duplicate_of_id}"
            else:
                outcome = "received"
            if item.is_quarantined and item.duplicate_of_id is not None:
                outcome += f" (duplicate of #{item.duplicate_of_id})"
            self.stdout.write(f"{path}: #{item.pk} {outcome}")
            received.append(item.pk)
        if options["wait"]:
            for item_id in received:
                self.stdout.write(f"#{item_id} {_processed(item_id)}")

    def _location(self, raw_option: str | None) -> Location:
        if raw_option:
            raw = str(raw_option).strip()
            location = Location.objects.filter(code=raw).first()
            if location is None and raw.isdigit():
                location = Location.objects.filter(pk=int(raw)).first()
            if location is None:
                raise CommandError(f"No location with code or id {raw!r}.")
            return location
        active = list(Location.objects.filter(is_active=True)[:2])
        if len(active) != 1:
            raise CommandError("Name the inbox's location with --location CODE.")
        return active[0]


def _processed(item_id: int) -> str:
    """Process one item (or find it processed) and say how it ended, with ids and codes only."""
    from frontdesk.documents.pipeline import document_process
    from frontdesk.documents.selectors import inbox_item_outcome

    item = document_process(item_id=item_id)
    if item is None:
        return "is gone"
    outcome = inbox_item_outcome(item_id=item_id)
    parts = [outcome.status]
    if outcome.error:
        parts.append(f"({outcome.error})")
    for segment in outcome.segments:
        pages = f"pages {segment.pages[0] + 1}-{segment.pages[-1] + 1}"
        if segment.auto_filed:
            parts.append(
                f"[{pages}: {segment.doc_type} filed to patient #{segment.patient_id} by {segment.filed_by}]"
            )
        else:
            parts.append(f"[{pages}: {segment.doc_type} waiting for review]")
    return " ".join(parts)
