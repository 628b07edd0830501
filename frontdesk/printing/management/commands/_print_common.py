"""Shared argument handling of the ``frontdesk print ...`` commands."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from frontdesk.practice.models import Location


def add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--location", required=True, help="Location code or id.")
    parser.add_argument("--date", required=True, help="The day, YYYY-MM-DD (location's calendar).")
    parser.add_argument("--out", required=True, type=Path, help="PDF file to write.")


def location_and_day(options: dict[str, Any]) -> tuple[Location, dt.date]:
    raw = str(options["location"]).strip()
    location = Location.objects.filter(code=raw).first()
    if location is None and raw.isdigit():
        location = Location.objects.filter(pk=int(raw)).first()
    if location is None:
        raise CommandError(f"No location with code or id {raw!r}.")
    try:
        day = dt.date.fromisoformat(str(options["date"]))
    except ValueError:
        raise CommandError("--date must be YYYY-MM-DD.") from None
    return location, day


def write_atomically(path: Path, content: bytes) -> None:
    """Write next to the target and rename, so a reader never sees half a PDF."""
    path = path.expanduser()
    if path.parent and not path.parent.is_dir():
        raise CommandError(f"The directory {path.parent} does not exist.")
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
