"""The watched folder: scanners and fax servers drop files, FrontDesk takes each complete one in.

A poll looks at each configured folder (``FRONTDESK_DOCUMENT_WATCH_DIRS``, location code -> folder),
top level only. Dotfiles and ``*.part`` / ``*.tmp`` / ``*~`` are still being written and are left
alone. A file is complete when its modification time is older than the settle time, or when its
size and time did not change between two looks a pause apart.

Each complete file goes through ``document_receive`` (source ``folder``) together with its
correspondence row, in one transaction, and is then MOVED to ``<folder>/.frontdesk/done/<date>/``.
Bad content is not a failure (it is a quarantined item, moved to done like any other); a failure is
anything else (an unreadable file, one the service refuses): the file moves to
``.frontdesk/failed/<date>/`` with ``<name>.reason.txt`` beside it. When our side is not ready (the
database is down, no document key is configured) the file stays where it is for the next poll.

Crash-safe: the correspondence row's ``external_id`` is a hash of location, file name and content;
a file received but not moved (a crash between the commit and the move) is recognised on the next
poll and only moved - never a second item.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from frontdesk.core.errors import DomainError
from frontdesk.documents.choices import Channel, Direction, Source
from frontdesk.documents.intake.records import correspondence_find, correspondence_record_in
from frontdesk.documents.services import document_receive
from frontdesk.practice.models import Location

logger = logging.getLogger(__name__)

STATE_DIR = ".frontdesk"
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", "~")

# (size, mtime) of a file at one look.
Look = tuple[int, float]


@dataclass
class WatchResult:
    """What one poll did, per outcome: the folder paths (as strings) of the files concerned."""

    received: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)  # received earlier, moved only now
    failed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # not complete yet
    errors: list[str] = field(default_factory=list)  # folder-level problems (misconfiguration)


def watch_dirs() -> dict[str, Path]:
    """The configured folders by location code."""
    configured: Mapping[str, str] = settings.FRONTDESK_DOCUMENT_WATCH_DIRS
    return {code: Path(folder).expanduser() for code, folder in configured.items()}


def is_candidate(name: str) -> bool:
    """True for a file name the watcher takes (not hidden, not a partial download)."""
    return bool(name) and not name.startswith(".") and not name.lower().endswith(IGNORED_SUFFIXES)


def look(folder: Path) -> dict[str, Look]:
    """(size, mtime) of every candidate regular file at the top of ``folder``."""
    found: dict[str, Look] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if not is_candidate(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat(follow_symlinks=False)
            found[entry.name] = (stat.st_size, stat.st_mtime)
    return found


def complete_files(
    first: Mapping[str, Look], second: Mapping[str, Look] | None, *, now: float, settle: float
) -> list[str]:
    """The names that are complete: old enough at the first look, or unchanged at the second.

    ``second`` None means no second look was taken (only old-enough files count). Pure: no I/O.
    """
    ready = []
    for name, (size, mtime) in sorted(first.items()):
        unchanged = second is not None and second.get(name) == (size, mtime)
        if now - mtime >= settle or unchanged:
            ready.append(name)
    return ready


def folder_external_id(location: Location, name: str, sha256: str) -> str:
    """The correspondence id of a folder arrival: same folder, name and content -> same id."""
    digest = hashlib.sha256(f"{location.pk}\0{name}\0{sha256}".encode()).hexdigest()
    return f"folder:{digest}"


def _target(base: Path, name: str) -> Path:
    """``base/name``, or ``base/name-N.ext`` when that is taken (nothing is overwritten)."""
    base.mkdir(parents=True, exist_ok=True)
    candidate = base / name
    stem, suffix = os.path.splitext(name)
    number = 1
    while candidate.exists():
        candidate = base / f"{stem}-{number}{suffix}"
        number += 1
    return candidate


def _move(path: Path, folder: Path, outcome: str) -> Path:
    day = timezone.localdate().isoformat()
    target = _target(folder / STATE_DIR / outcome / day, path.name)
    os.replace(path, target)
    return target


def _fail(path: Path, folder: Path, reason: str, result: WatchResult) -> None:
    logger.warning("Watched folder: %s not received: %s", path, reason)
    result.failed.append(str(path))
    try:
        target = _move(path, folder, "failed")
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    except OSError as exc:  # left in place; tried again next poll
        logger.error("Watched folder: could not move %s to failed: %s", path, exc)


def receive_file(path: Path, *, location: Location, folder: Path, result: WatchResult) -> None:
    """Receive one complete file and move it to done (or failed, with the reason)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        _fail(path, folder, f"The file could not be read: {exc.strerror or exc}.", result)
        return
    external_id = folder_external_id(location, path.name, hashlib.sha256(data).hexdigest())
    recovered = correspondence_find(
        channel=Channel.UPLOAD, direction=Direction.IN, external_id=external_id
    )
    if recovered is None:
        try:
            with transaction.atomic():
                item = document_receive(
                    actor=None, location=location, source=Source.FOLDER, name=path.name, data=data
                )
                correspondence_record_in(
                    location=location,
                    channel=Channel.UPLOAD,
                    source=Source.FOLDER,
                    items=[item],
                    counterpart=f"folder {location.code}",
                    external_id=external_id,
                )
        except DomainError as exc:
            if exc.http_status >= 500:
                # Our side is not ready (no document key in production): the file waits in place.
                logger.error("Watched folder: %s not received: %s", path, exc.message)
                result.errors.append(f"{path}: {exc.message}")
            else:
                _fail(path, folder, exc.message, result)
            return
        except IntegrityError:
            # Another poll took the same file in at the same moment: its row won, this wrote nothing.
            recovered = correspondence_find(
                channel=Channel.UPLOAD, direction=Direction.IN, external_id=external_id
            )
            if recovered is None:
                raise
        except DatabaseError as exc:
            # Not moved: the database may be back at the next poll (the file stays in place).
            logger.error("Watched folder: %s not received (database): %s", path, exc)
            result.errors.append(f"{path}: database error")
            return
    try:
        _move(path, folder, "done")
    except FileNotFoundError:
        pass  # moved meanwhile by the poll that received it
    except OSError as exc:
        # Received but not moved: the next poll recognises it and only moves it.
        logger.error("Watched folder: received %s but could not move it: %s", path, exc)
        result.errors.append(f"{path}: received, not moved")
    (result.recovered if recovered is not None else result.received).append(str(path))


def folder_poll(
    *,
    pause: float | None = None,
    settle: float | None = None,
    dirs: Mapping[str, Path] | None = None,
) -> WatchResult:
    """One pass over every watched folder; returns what it did. Never raises for one bad file."""
    pause = settings.FRONTDESK_DOCUMENT_WATCH_PAUSE_SECONDS if pause is None else pause
    settle = settings.FRONTDESK_DOCUMENT_WATCH_SETTLE_SECONDS if settle is None else settle
    result = WatchResult()
    folders: list[tuple[Location, Path]] = []
    for code, folder in (watch_dirs() if dirs is None else dirs).items():
        location = Location.objects.filter(code=code, is_active=True).first()
        if location is None:
            result.errors.append(f"{folder}: no active location with code {code!r}")
        elif not folder.is_dir():
            result.errors.append(f"{folder}: not a folder")
        else:
            folders.append((location, folder))
    first = {folder: look(folder) for _, folder in folders}
    now = time.time()
    fresh = any(now - mtime < settle for looks in first.values() for _, mtime in looks.values())
    second: dict[Path, dict[str, Look]] | None = None
    if fresh and pause > 0:
        time.sleep(pause)
        second = {folder: look(folder) for _, folder in folders}
    elif fresh:
        second = first
    for location, folder in folders:
        ready = complete_files(
            first[folder], second[folder] if second is not None else None, now=now, settle=settle
        )
        result.waiting.extend(
            str(folder / name) for name in sorted(set(first[folder]) - set(ready))
        )
        for name in ready:
            path = folder / name
            if path.is_file():
                receive_file(path, location=location, folder=folder, result=result)
    for error in result.errors:
        logger.error("Watched folder: %s", error)
    return result
