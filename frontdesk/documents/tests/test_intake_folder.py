"""The watched folder: complete files in, moved to done; crash-safe; failures set aside with why."""

from __future__ import annotations

import io
import os
import threading
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from frontdesk.cli import translate
from frontdesk.documents.choices import Channel, CorrespondenceStatus, Direction, ItemStatus
from frontdesk.documents.intake import folder
from frontdesk.documents.intake.folder import complete_files, folder_poll, is_candidate
from frontdesk.documents.models import Correspondence, InboxItem
from frontdesk.documents.tests import samples

pytestmark = pytest.mark.django_db


def _old(path, seconds: int = 600) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


@pytest.fixture
def watched(tmp_path, location, settings):
    scans = tmp_path / "scans"
    scans.mkdir()
    settings.FRONTDESK_DOCUMENT_WATCH_DIRS = {location.code: str(scans)}
    settings.FRONTDESK_DOCUMENT_WATCH_SETTLE_SECONDS = 60
    settings.FRONTDESK_DOCUMENT_WATCH_PAUSE_SECONDS = 0
    return scans


def _done(scans):
    return scans / ".frontdesk" / "done" / timezone.localdate().isoformat()


def test_candidates_leave_out_hidden_and_partial_files():
    assert [
        n for n in ("a.pdf", ".a.pdf", "b.part", "c.TMP", "d~", "e.tif") if is_candidate(n)
    ] == [
        "a.pdf",
        "e.tif",
    ]


def test_a_file_is_complete_when_old_enough_or_unchanged_between_two_looks():
    first = {"old.pdf": (10, 100.0), "steady.pdf": (20, 990.0), "growing.pdf": (30, 995.0)}
    second = {"old.pdf": (10, 100.0), "steady.pdf": (20, 990.0), "growing.pdf": (45, 999.0)}
    assert complete_files(first, second, now=1000.0, settle=60) == ["old.pdf", "steady.pdf"]
    assert complete_files(first, None, now=1000.0, settle=60) == ["old.pdf"]


def test_a_poll_receives_each_complete_file_and_moves_it_to_done(watched, location):
    letter = watched / "letter.pdf"
    letter.write_bytes(samples.pdf(pages=2))
    page = watched / "page.html"
    page.write_bytes(samples.HTML)
    (watched / ".hidden.pdf").write_bytes(samples.pdf())
    (watched / "scan.pdf.part").write_bytes(b"%PDF-1.4 half")
    for path in (letter, page):
        _old(path)

    result = folder_poll()

    assert sorted(result.received) == [str(letter), str(page)]
    assert result.failed == [] and result.errors == []
    assert sorted(p.name for p in watched.iterdir()) == [
        ".frontdesk",
        ".hidden.pdf",
        "scan.pdf.part",
    ]
    assert sorted(p.name for p in _done(watched).iterdir()) == ["letter.pdf", "page.html"]
    items = {item.display_name: item for item in InboxItem.objects.all()}
    assert {name: (i.source, i.status, i.location_id) for name, i in items.items()} == {
        "letter.pdf": ("folder", ItemStatus.RECEIVED, location.pk),
        "page.html": ("folder", ItemStatus.QUARANTINED, location.pk),
    }
    rows = Correspondence.objects.order_by("pk")
    assert [
        (r.direction, r.channel, r.status, r.pages, r.inbox_item.display_name, r.counterpart)
        for r in rows
    ] == [
        (Direction.IN, Channel.UPLOAD, CorrespondenceStatus.RECEIVED, 2, "letter.pdf",
         f"folder {location.code}"),
        (Direction.IN, Channel.UPLOAD, CorrespondenceStatus.RECEIVED, 0, "page.html",
         f"folder {location.code}"),
    ]  # fmt: skip
    assert all(r.external_id.startswith("folder:") for r in rows)


def test_a_fresh_file_still_being_written_waits_for_the_next_poll(watched, settings):
    settings.FRONTDESK_DOCUMENT_WATCH_SETTLE_SECONDS = 3600
    settings.FRONTDESK_DOCUMENT_WATCH_PAUSE_SECONDS = 1.0
    growing = watched / "growing.pdf"
    growing.write_bytes(b"%PDF-1.4\n")
    steady = watched / "steady.pdf"
    steady.write_bytes(samples.pdf())
    done = threading.Event()

    def keep_writing() -> None:  # a slow scanner: a few bytes every 50 ms until the poll is over
        while not done.wait(0.05):
            with growing.open("ab") as handle:
                handle.write(b"% more\n")

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        result = folder_poll()
    finally:
        done.set()
        writer.join()

    assert result.received == [str(steady)]
    assert result.waiting == [str(growing)]
    assert growing.exists()
    assert [i.display_name for i in InboxItem.objects.all()] == ["steady.pdf"]


def test_a_file_received_but_not_moved_is_only_moved_next_time(watched, location):
    letter = watched / "letter.pdf"
    content = samples.pdf(pages=1)
    letter.write_bytes(content)
    _old(letter)
    folder_poll()
    # The crash: the file is back in the folder (received, never moved).
    (_done(watched) / "letter.pdf").rename(letter)

    result = folder_poll()

    assert result.recovered == [str(letter)] and result.received == []
    assert InboxItem.objects.count() == 1
    assert Correspondence.objects.count() == 1
    assert sorted(p.name for p in _done(watched).iterdir()) == ["letter.pdf"]
    assert not letter.exists()


def test_the_same_content_under_another_name_is_a_new_arrival(watched):
    content = samples.pdf(pages=1)
    for name in ("a.pdf", "b.pdf"):
        (watched / name).write_bytes(content)
        _old(watched / name)

    folder_poll()

    first, second = InboxItem.objects.order_by("pk")
    assert second.duplicate_of_id == first.pk
    assert Correspondence.objects.count() == 2


def test_an_unknown_or_inactive_location_leaves_its_folder_alone(watched, location):
    location.is_active = False
    location.save()
    # An inactive location is a folder-level problem: nothing is touched.
    (watched / "a.pdf").write_bytes(samples.pdf())
    _old(watched / "a.pdf")
    result = folder_poll()
    assert result.errors == [f"{watched}: no active location with code {location.code!r}"]
    assert (watched / "a.pdf").exists()


def test_a_file_that_cannot_be_read_moves_to_failed_with_the_reason(watched, location):
    result = folder.WatchResult()
    unreadable = watched / "odd.pdf"
    unreadable.mkdir()  # reading it fails, whoever runs the tests

    folder.receive_file(unreadable, location=location, folder=watched, result=result)

    assert result.failed == [str(unreadable)]
    failed = watched / ".frontdesk" / "failed" / timezone.localdate().isoformat()
    assert sorted(p.name for p in failed.iterdir()) == ["odd.pdf", "odd.pdf.reason.txt"]
    assert (failed / "odd.pdf.reason.txt").read_text().startswith("The file could not be read")
    assert InboxItem.objects.count() == 0 and Correspondence.objects.count() == 0


def test_the_command_runs_one_pass(watched):
    letter = watched / "letter.pdf"
    letter.write_bytes(samples.pdf())
    _old(letter)
    out = io.StringIO()
    call_command("documents_watch", "--once", stdout=out)
    assert out.getvalue().splitlines() == [f"{letter}: received"]
    assert translate(["documents", "watch", "--once"]) == ["documents_watch", "--once"]
    assert translate(["documents", "fetch-mail"]) == ["documents_fetch_mail"]


def test_files_wait_in_place_while_no_document_key_is_configured(watched, settings):
    settings.PRODUCTION = True  # production without FRONTDESK_DOCUMENT_KEYS stores nothing
    settings.FRONTDESK_DOCUMENT_KEYS = []
    letter = watched / "letter.pdf"
    letter.write_bytes(samples.pdf())
    _old(letter)

    result = folder_poll()

    assert result.received == [] and result.failed == []
    assert len(result.errors) == 1 and "FRONTDESK_DOCUMENT_KEYS" in result.errors[0]
    assert letter.exists() and not (watched / ".frontdesk" / "failed").exists()
    assert InboxItem.objects.count() == 0
