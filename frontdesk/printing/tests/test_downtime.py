"""The downtime packet: complete, encrypted (AES-256), atomic, pruned, and its staleness."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from pypdf.errors import FileNotDecryptedError

from frontdesk.audit.models import AuditEvent
from frontdesk.printing import downtime
from frontdesk.printing.tests.conftest import NOW, pdf_reader

PASSWORD = "correct horse battery staple"


@pytest.fixture
def packet_settings(settings, tmp_path):
    settings.DOWNTIME_PASSWORD = PASSWORD
    settings.DOWNTIME_DIR = tmp_path / "downtime"
    settings.DOWNTIME_DAYS = 2
    settings.DOWNTIME_KEEP = 2
    settings.DOWNTIME_INTERVAL_MINUTES = 60
    return settings


def _text(path, password=PASSWORD):
    reader = pdf_reader(path.read_bytes(), password)
    return [page.extract_text() for page in reader.pages]


def test_every_appointment_in_the_window_is_in_the_packet(practice, packet_settings):
    manifest = downtime.downtime_packet_build()
    directory = packet_settings.DOWNTIME_DIR
    by_location = {entry["location_id"]: entry for entry in manifest["packets"]}
    main = by_location[practice.location.pk]
    # Window: today and tomorrow at the location (1-2 December); the visit of the 3rd is outside.
    in_window = sorted(a.pk for a in practice.appointments)
    assert main["appointment_ids"] == in_window
    assert main["window_start"] == "2026-12-01T00:00:00-05:00"
    assert main["window_end"] == "2026-12-03T00:00:00-05:00"
    assert by_location[practice.other_location.pk]["appointment_ids"] == [practice.elsewhere.pk]
    assert manifest["appointment_count"] == 5
    path = directory / manifest["build"] / main["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == main["sha256"]
    pages = _text(path)
    text = "\n".join(pages)
    for appointment in practice.appointments:
        patient = appointment.patient
        assert f"#{appointment.pk}" in text  # on the patient's face sheet
        assert f"Face sheet - {patient.last_name}, {patient.first_name}" in text
        assert f"{patient.last_name}, {patient.first_name} ({patient.mrn})" in text  # schedule row
    assert f"#{practice.cancelled.pk}" not in text
    assert f"#{practice.day_after.pk}" not in text
    # 1 Dec: no appointments (1 page); 2 Dec: Adams and Baker (2 pages); 4 face sheets.
    assert len(pages) == 1 + 2 + 4
    assert json.loads((directory / "latest.json").read_text()) == manifest
    assert json.loads((directory / manifest["build"] / "manifest.json").read_text()) == manifest
    assert [p.name for p in directory.iterdir() if p.name.startswith(".")] == []
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id, event.actor_name, event.object_id) == (
        "export",
        None,
        "system (downtime)",
        manifest["build"],
    )
    assert event.detail["appointments"] == 5


def test_packet_is_aes256_and_needs_the_password(practice, packet_settings):
    manifest = downtime.downtime_packet_build()
    entry = manifest["packets"][0]
    content = (packet_settings.DOWNTIME_DIR / manifest["build"] / entry["file"]).read_bytes()
    reader = pdf_reader(content)
    assert reader.is_encrypted
    assert reader.trailer["/Encrypt"]["/V"] == 5  # AES-256 (ISO 32000-2)
    with pytest.raises(FileNotDecryptedError):
        reader.pages[0].extract_text()
    wrong = pdf_reader(content)
    assert wrong.decrypt("wrong password").name == "NOT_DECRYPTED"
    assert pdf_reader(content).decrypt(PASSWORD).name == "USER_PASSWORD"
    assert b"Zzpat" not in content  # no readable PHI in the file


def test_no_password_means_no_packet(practice, packet_settings):
    packet_settings.DOWNTIME_PASSWORD = ""
    with pytest.raises(downtime.DowntimeError) as caught:
        downtime.downtime_packet_build()
    assert caught.value.code == "downtime_no_password"
    # No packet; only the failure, for the dashboards.
    assert [p.name for p in packet_settings.DOWNTIME_DIR.iterdir()] == ["last-error.json"]
    assert downtime.packet_status().last_error["error"] == (
        "FRONTDESK_DOWNTIME_PASSWORD is not set: no downtime packet is written."
    )
    assert AuditEvent.objects.count() == 0


def test_keeps_the_newest_builds(practice, packet_settings):
    builds = [
        downtime.downtime_packet_build(now=NOW + dt.timedelta(minutes=minutes))["build"]
        for minutes in (0, 60, 120)
    ]
    kept = sorted(p.name for p in packet_settings.DOWNTIME_DIR.iterdir() if p.is_dir())
    assert kept == builds[1:]
    assert downtime.latest_manifest()["build"] == builds[2]


def test_failed_build_leaves_the_previous_packet(practice, packet_settings, monkeypatch):
    first = downtime.downtime_packet_build()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(downtime, "_write_json", broken)
    with pytest.raises(RuntimeError):
        downtime.downtime_packet_build(now=NOW + dt.timedelta(hours=1))
    assert downtime.latest_manifest() == first
    assert sorted(p.name for p in packet_settings.DOWNTIME_DIR.iterdir()) == [
        first["build"],
        "latest.json",
    ]


def test_staleness(practice, packet_settings):
    assert downtime.packet_status(now=NOW).is_stale  # nothing written yet
    downtime.downtime_packet_build(now=NOW)
    status = downtime.packet_status(now=NOW + dt.timedelta(minutes=120))
    assert (status.is_stale, status.appointment_count, status.generated_at) == (False, 5, NOW)
    assert downtime.packet_status(now=NOW + dt.timedelta(minutes=121)).is_stale


def test_the_clock_runs_it_at_the_configured_interval():
    from frontdesk.printing.periodic import PERIODIC_TASKS
    from frontdesk.printing.tasks import downtime_packet

    assert [(p.name, p.task, p.every) for p in PERIODIC_TASKS[:1]] == [
        ("printing.downtime_packet", downtime_packet, dt.timedelta(hours=1))
    ]


def test_task_builds_a_packet(practice, packet_settings):
    from frontdesk.printing.tasks import downtime_packet

    assert downtime_packet.call() == 5
    assert downtime.latest_manifest()["appointment_count"] == 5
