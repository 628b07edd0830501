"""The command line: ``frontdesk print schedule``, ``print encounter-forms``, ``downtime build``."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from frontdesk.audit.models import AuditEvent
from frontdesk.cli import translate
from frontdesk.printing.tests.conftest import pdf_reader, printed_order


def test_cli_maps_the_verbs():
    assert translate(["print", "schedule", "--location", "main"]) == [
        "print_schedule",
        "--location",
        "main",
    ]
    assert translate(["print", "encounter-forms"]) == ["print_encounter_forms"]
    assert translate(["downtime", "build", "--out", "d"]) == ["downtime_build", "--out", "d"]


def test_print_encounter_forms(practice, tmp_path, capsys):
    out = tmp_path / "forms.pdf"
    call_command(
        "print_encounter_forms", "--location", "main", "--date", "2026-12-02", "--out", str(out)
    )
    assert len(pdf_reader(out.read_bytes()).pages) == 4
    assert f"4 form(s) written to {out}" in capsys.readouterr().out
    event = AuditEvent.objects.get()
    assert (event.actor_id, event.actor_name, event.action) == (
        None,
        "system (print encounter-forms)",
        "print",
    )
    assert event.detail["appointment_ids"] == printed_order(practice)


def test_print_schedule_by_id(practice, tmp_path):
    out = tmp_path / "schedule.pdf"
    call_command(
        "print_schedule",
        "--location",
        str(practice.location.pk),
        "--date",
        "2026-12-02",
        "--out",
        str(out),
    )
    assert len(pdf_reader(out.read_bytes()).pages) == 2
    assert AuditEvent.objects.get().actor_name == "system (print schedule)"


@pytest.mark.parametrize(
    ("location", "date", "message"),
    [
        ("nowhere", "2026-12-02", "No location with code or id 'nowhere'."),
        ("main", "tomorrow", "--date must be YYYY-MM-DD."),
    ],
)
def test_print_bad_input(practice, tmp_path, location, date, message):
    out = tmp_path / "x.pdf"
    with pytest.raises(CommandError) as caught:
        call_command("print_schedule", "--location", location, "--date", date, "--out", str(out))
    assert str(caught.value) == message
    assert not out.exists()
    assert AuditEvent.objects.count() == 0


def test_downtime_build(practice, tmp_path, settings, capsys):
    settings.DOWNTIME_PASSWORD = "pw"
    call_command("downtime_build", "--out", str(tmp_path))
    assert "2 location(s), 5 appointment(s)." in capsys.readouterr().out
    assert (tmp_path / "latest.json").exists()


def test_downtime_build_without_password(practice, tmp_path, settings):
    settings.DOWNTIME_PASSWORD = ""
    with pytest.raises(CommandError) as caught:
        call_command("downtime_build", "--out", str(tmp_path))
    assert (
        str(caught.value)
        == "FRONTDESK_DOWNTIME_PASSWORD is not set: no downtime packet is written."
    )
