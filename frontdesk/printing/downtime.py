"""The downtime packet: what the desk needs on paper when FrontDesk is down.

Every build writes, per active location, one AES-256-encrypted PDF holding that location's schedules
for the next ``DOWNTIME_DAYS`` local days (today included) and a face sheet per patient on them. Any
PDF reader opens it with ``DOWNTIME_PASSWORD``; FrontDesk need not run.

Layout of ``DOWNTIME_DIR``::

    <stamp>/<location code>.pdf     one build (written under .tmp-<stamp>, then renamed: atomic)
    <stamp>/manifest.json           generated at, window, appointment ids and sha256 per file
    latest.json                     a copy of the newest build's manifest (replaced atomically)
    last-error.json                 when the newest attempt failed: when, and what (no PHI); removed
                                    by the next good build

Only the newest ``DOWNTIME_KEEP`` builds are kept. A build is an export of PHI to disk: it writes
one audit row (system actor) with counts and checksums, never names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from fpdf.enums import EncryptionMethod

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import DomainError
from frontdesk.ledger.selectors import balances_for_patients
from frontdesk.printing import pdf as drawing
from frontdesk.printing.selectors import appointments_to_print, day_bounds, printable_locations
from frontdesk.scheduling.models import Appointment

SYSTEM_NAME = "system (downtime)"
MANIFEST = "manifest.json"
LATEST = "latest.json"
LAST_ERROR = "last-error.json"
_BUILD_RE = re.compile(r"^\d{8}T\d{12}$")
_FILE_RE = re.compile(r"^[a-z0-9_-]{1,40}\.pdf$")


class DowntimeError(DomainError):
    """The packet cannot be written or read (no password configured, no packet yet)."""


@dataclass(frozen=True)
class PacketStatus:
    """What the staleness page and the operations dashboard show of the newest packet.

    ``is_stale``: missing or older than twice the interval. ``level`` grades it for the dashboard:
    "red" when missing, older than three intervals or when the newest attempt failed; "amber" when
    stale; else "ok". ``last_error`` is the failure of an attempt newer than the packet, if any.
    """

    manifest: dict[str, Any] | None
    generated_at: dt.datetime | None
    appointment_count: int
    interval: dt.timedelta
    is_stale: bool
    age: dt.timedelta | None = None
    last_error: dict[str, Any] | None = None

    @property
    def level(self) -> str:
        if self.age is None or self.age > 3 * self.interval or self.last_error is not None:
            return "red"
        return "amber" if self.is_stale else "ok"

    def entry_for(self, location_id: int) -> dict[str, Any] | None:
        """The newest packet's manifest entry of one location (None: not in the packet)."""
        for entry in (self.manifest or {}).get("packets", []):
            if entry.get("location_id") == location_id:
                return dict(entry)
        return None


def _password() -> str:
    password = str(getattr(settings, "DOWNTIME_PASSWORD", "") or "")
    if not password:
        raise DowntimeError(
            "FRONTDESK_DOWNTIME_PASSWORD is not set: no downtime packet is written.",
            code="downtime_no_password",
        )
    return password


def _encrypted_pdf(title: str) -> Any:
    pdf = drawing.new_document(title)
    # The owner password only guards the permissions; nobody needs it, so it is random per file.
    pdf.set_encryption(
        owner_password=secrets.token_urlsafe(24),
        user_password=_password(),
        encryption_method=EncryptionMethod.AES_256,
    )
    return pdf


def _location_packet(location: Any, day: dt.date, days: int) -> tuple[bytes, list[Appointment]]:
    appointments = appointments_to_print(user=None, location=location, day=day, days=days)
    pdf = _encrypted_pdf(f"Downtime packet - {location.name}")
    tz = location.tzinfo
    for offset in range(days):
        this_day = day + dt.timedelta(days=offset)
        rows = [a for a in appointments if a.starts_at.astimezone(tz).date() == this_day]
        drawing.draw_location_schedule(pdf, location=location, day=this_day, appointments=rows)
    by_patient: dict[int, list[Appointment]] = {}
    balances = balances_for_patients(patient_ids=list({a.patient_id for a in appointments}))
    for appointment in sorted(appointments, key=lambda a: a.starts_at):
        by_patient.setdefault(appointment.patient_id, []).append(appointment)
    for visits in sorted(
        by_patient.values(),
        key=lambda v: (
            v[0].patient.last_name.lower(),
            v[0].patient.first_name.lower(),
            v[0].patient_id,
        ),
    ):
        drawing.draw_face_sheet(
            pdf, appointments=visits, balance=balances.get(visits[0].patient_id)
        )
    return bytes(pdf.output()), appointments


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.replace(temporary, path)


def _failure_text(exc: BaseException) -> str:
    """What the dashboard may show of a failure: our own domain message, else only the error's
    class (an arbitrary exception text could quote a record)."""
    if isinstance(exc, DomainError):
        return exc.message
    return f"{type(exc).__name__} (details in the worker log)"


def downtime_packet_build(
    *, out_dir: Path | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Write a new packet into ``out_dir`` (default ``DOWNTIME_DIR``) and return its manifest.

    A failed attempt leaves the previous packet in place and records ``last-error.json`` (when and
    what, no PHI) for the dashboards; the next good build removes it.
    """
    directory = Path(out_dir or settings.DOWNTIME_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    now = now or timezone.now()
    try:
        manifest = _build(directory, now)
    except Exception as exc:
        _write_json(
            directory / LAST_ERROR,
            {"failed_at": now.astimezone(dt.UTC).isoformat(), "error": _failure_text(exc)},
        )
        raise
    (directory / LAST_ERROR).unlink(missing_ok=True)
    _prune(directory)
    return manifest


def _build(directory: Path, now: dt.datetime) -> dict[str, Any]:
    _password()  # fail before any work when the packet could not be opened anyway
    days = max(1, int(settings.DOWNTIME_DAYS))
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    staging = directory / f".tmp-{stamp}-{secrets.token_hex(4)}"
    staging.mkdir()
    packets: list[dict[str, Any]] = []
    try:
        for location in printable_locations(user=None):
            day = now.astimezone(location.tzinfo).date()
            content, appointments = _location_packet(location, day, days)
            name = f"{location.code.lower()}.pdf"
            if not _FILE_RE.match(name):
                name = f"location-{location.pk}.pdf"
            (staging / name).write_bytes(content)
            start, end = day_bounds(location, day, days)
            packets.append(
                {
                    "location_id": location.pk,
                    "file": name,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "bytes": len(content),
                    "window_start": start.isoformat(),
                    "window_end": end.isoformat(),
                    "appointment_count": len(appointments),
                    "appointment_ids": sorted(a.pk for a in appointments),
                    "patient_count": len({a.patient_id for a in appointments}),
                }
            )
        manifest = {
            "build": stamp,
            "generated_at": now.astimezone(dt.UTC).isoformat(),
            "days": days,
            "interval_minutes": int(settings.DOWNTIME_INTERVAL_MINUTES),
            "appointment_count": sum(p["appointment_count"] for p in packets),
            "encryption": "AES-256 (PDF 2.0 standard security handler, user password)",
            "packets": packets,
        }
        _write_json(staging / MANIFEST, manifest)
        final = directory / stamp
        os.replace(staging, final)
        _write_json(directory / LATEST, manifest)
        audit_record(
            actor=None,
            actor_name=SYSTEM_NAME,
            action=AuditAction.EXPORT,
            category=AuditCategory.DEMOGRAPHICS,
            object_type="downtime_packet",
            object_id=stamp,
            detail={
                "locations": len(packets),
                "appointments": manifest["appointment_count"],
                "sha256": [p["sha256"] for p in packets],
            },
        )
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _prune(directory: Path) -> None:
    keep = max(1, int(settings.DOWNTIME_KEEP))
    builds = sorted(p for p in directory.iterdir() if p.is_dir() and _BUILD_RE.match(p.name))
    for old in builds[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def latest_manifest(directory: Path | None = None) -> dict[str, Any] | None:
    return _read_json(Path(directory or settings.DOWNTIME_DIR) / LATEST)


def _aware(text: Any) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def packet_status(*, now: dt.datetime | None = None, directory: Path | None = None) -> PacketStatus:
    """The newest packet, whether it is stale (older than twice the interval, or missing), and the
    newest failed attempt when it came after it."""
    now = now or timezone.now()
    base = Path(directory or settings.DOWNTIME_DIR)
    interval = dt.timedelta(minutes=int(settings.DOWNTIME_INTERVAL_MINUTES))
    manifest = latest_manifest(base)
    generated_at = _aware(manifest.get("generated_at")) if manifest is not None else None
    failure = _read_json(base / LAST_ERROR)
    last_error = None
    if failure is not None:
        failed_at = _aware(failure.get("failed_at"))
        if failed_at is not None and (generated_at is None or failed_at > generated_at):
            last_error = {"failed_at": failed_at, "error": str(failure.get("error", ""))[:200]}
    return PacketStatus(
        manifest=manifest,
        generated_at=generated_at,
        appointment_count=int(manifest.get("appointment_count", 0)) if manifest else 0,
        interval=interval,
        is_stale=generated_at is None or now - generated_at > 2 * interval,
        age=None if generated_at is None else max(now - generated_at, dt.timedelta(0)),
        last_error=last_error,
    )


def packet_file(*, location_id: int, directory: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """The newest packet file of a location and its manifest entry; ``DowntimeError`` when none."""
    base = Path(directory or settings.DOWNTIME_DIR)
    manifest = latest_manifest(base)
    if manifest is not None and _BUILD_RE.match(str(manifest.get("build", ""))):
        for entry in manifest.get("packets", []):
            if entry.get("location_id") == location_id and _FILE_RE.match(str(entry.get("file"))):
                path = base / manifest["build"] / entry["file"]
                if path.is_file():
                    return path, entry
    raise DowntimeError(
        "No downtime packet has been written for this location yet.", code="downtime_none"
    )
