"""``frontdesk documents ingest``: one line per file; bad files quarantined, not refused."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from frontdesk.accounts.choices import Role
from frontdesk.cli import translate
from frontdesk.documents.models import InboxItem
from frontdesk.documents.tests import samples
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db


def _ingest(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("documents_ingest", *args, stdout=out)
    return out.getvalue().splitlines()


def test_the_two_word_verbs_map_to_the_commands():
    assert translate(["documents", "ingest", "a.pdf", "--source", "fax"]) == [
        "documents_ingest",
        "a.pdf",
        "--source",
        "fax",
    ]
    assert translate(["documents", "rotate-keys"]) == ["documents_rotate_keys"]


def test_ingest_prints_one_line_per_file(tmp_path, location):
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(samples.pdf(pages=2))
    again = tmp_path / "letter-again.pdf"
    again.write_bytes(samples.pdf(pages=2))
    page = tmp_path / "page.html"
    page.write_bytes(samples.HTML)

    lines = _ingest(
        str(letter), str(again), str(page), "--source", "fax", "--location", location.code
    )

    first, second, third = InboxItem.objects.order_by("pk")
    assert lines == [
        f"{letter}: #{first.pk} received",
        f"{again}: #{second.pk} duplicate of #{first.pk}",
        f"{page}: #{third.pk} quarantined: The content is an HTML page, not a PDF, TIFF, JPEG or "
        "PNG document.",
    ]
    assert [(i.source, i.display_name, i.location_id) for i in (first, second, third)] == [
        ("fax", "letter.pdf", location.pk),
        ("fax", "letter-again.pdf", location.pk),
        ("fax", "page.html", location.pk),
    ]


def test_the_only_location_is_the_default_and_the_source_defaults_to_cli(tmp_path, location):
    scan = tmp_path / "scan.png"
    scan.write_bytes(samples.png())
    (line,) = _ingest(str(scan))
    item = InboxItem.objects.get()
    assert line == f"{scan}: #{item.pk} received"
    assert (item.source, item.location_id, item.received_by_id) == ("cli", location.pk, None)


def test_with_several_locations_the_location_must_be_named(tmp_path, location):
    LocationFactory()
    scan = tmp_path / "scan.png"
    scan.write_bytes(samples.png())
    with pytest.raises(
        CommandError, match=re.escape("Name the inbox's location with --location CODE.")
    ):
        _ingest(str(scan))
    assert InboxItem.objects.count() == 0


def test_an_unknown_location_is_refused(tmp_path, location):
    scan = tmp_path / "scan.png"
    scan.write_bytes(samples.png())
    with pytest.raises(CommandError, match=re.escape("No location with code or id 'nowhere'.")):
        _ingest(str(scan), "--location", "nowhere")


def test_a_missing_file_refuses_the_whole_run(tmp_path, location):
    scan = tmp_path / "scan.png"
    scan.write_bytes(samples.png())
    with pytest.raises(CommandError, match="No file at"):
        _ingest(str(scan), str(tmp_path / "absent.pdf"))
    assert InboxItem.objects.count() == 0


def test_upload_as_a_user_needs_their_permission(tmp_path, location, make_user):
    scan = tmp_path / "scan.png"
    scan.write_bytes(samples.png())
    scheduler = make_user(Role.SCHEDULER, location)
    with pytest.raises(CommandError, match=re.escape("You do not have permission to do that.")):
        _ingest(str(scan), "--source", "upload", "--user", scheduler.username)
    clerk = make_user(Role.FRONT_DESK, location)
    (line,) = _ingest(str(scan), "--source", "upload", "--user", clerk.username)
    assert InboxItem.objects.get().received_by == clerk
    assert line.endswith(" received")


def test_upload_without_a_user_is_refused(tmp_path, location):
    scan = tmp_path / "scan.png"
    scan.write_bytes(samples.png())
    with pytest.raises(
        CommandError, match=re.escape("A browser upload needs the person uploading.")
    ):
        _ingest(str(scan), "--source", "upload")


def test_an_unknown_source_is_an_argument_error(tmp_path, location):
    with pytest.raises(CommandError, match="invalid choice: 'pigeon'"):
        _ingest(str(tmp_path / "x"), "--source", "pigeon")


def test_the_help_describes_wait():
    from frontdesk.documents.management.commands.documents_ingest import Command

    assert "with --wait the command processes them itself" in Command.help
