"""The encrypted, content-addressed blob store: round trip, dedupe, tamper detection, key rotation."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import time

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from frontdesk.audit.models import AuditEvent
from frontdesk.cli import translate
from frontdesk.core.errors import ValidationFailed
from frontdesk.documents import blobs
from frontdesk.documents.errors import BlobCorrupt, DocumentKeysMissing
from frontdesk.documents.models import Blob
from frontdesk.documents.periodic import PERIODIC_TASKS
from frontdesk.documents.services import document_keys_rotate
from frontdesk.documents.sniff import Sniffed
from frontdesk.documents.tests import samples

KEY_A = base64.b64encode(b"A" * 32).decode()
KEY_B = base64.urlsafe_b64encode(b"B" * 32).decode().rstrip("=")
SNIFFED = Sniffed(kind="pdf", pages=1)


def _stored(blob: Blob) -> bytes:
    with default_storage.open(blob.stored_name, "rb") as handle:
        return handle.read()


def _overwrite(blob: Blob, data: bytes) -> None:
    default_storage.delete(blob.stored_name)
    assert default_storage.save(blob.stored_name, blobs.ContentFile(data)) == blob.stored_name


@pytest.mark.django_db
def test_round_trip_is_encrypted_at_rest_under_a_generated_name():
    data = samples.pdf(text="Zzyzx Testpatient synthetic letter")
    blob, created = blobs.blob_store(data, sniffed=SNIFFED)
    stored = _stored(blob)
    assert created is True
    assert (blob.sha256, blob.size, blob.kind, blob.pages) == (
        hashlib.sha256(data).hexdigest(),
        len(data),
        "pdf",
        1,
    )
    assert blob.stored_name.startswith("documents/") and blob.stored_name.endswith(".blob")
    assert blob.sha256 not in blob.stored_name
    assert stored.startswith(b"FDB1") and data not in stored and b"%PDF" not in stored
    assert b"Zzyzx" not in stored
    assert blobs.stored_key_id(stored) == blob.key_id == blobs.current_key().key_id
    assert blobs.blob_read(blob) == data


@pytest.mark.django_db
def test_the_same_content_twice_is_one_blob():
    data = samples.png()
    first, first_created = blobs.blob_store(data, sniffed=Sniffed(kind="png", pages=1))
    second, second_created = blobs.blob_store(data, sniffed=Sniffed(kind="png", pages=1))
    assert (first_created, second_created, second.pk) == (True, False, first.pk)
    assert Blob.objects.count() == 1
    assert len(default_storage.listdir(f"documents/{first.stored_name.split('/')[1]}")[1]) == 1


@pytest.mark.django_db
def test_each_write_uses_a_fresh_nonce():
    data = b"same plaintext"
    sha = hashlib.sha256(data).hexdigest()
    assert blobs.encrypt(data, sha256=sha) != blobs.encrypt(data, sha256=sha)


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [0, 6, 20, -1, -20])
def test_a_flipped_byte_is_reported_not_served(offset):
    blob, _ = blobs.blob_store(samples.pdf(), sniffed=SNIFFED)
    stored = bytearray(_stored(blob))
    stored[offset] ^= 0x01
    _overwrite(blob, bytes(stored))
    with pytest.raises(BlobCorrupt) as caught:
        blobs.blob_read(blob)
    assert caught.value.blob_id == blob.pk
    assert caught.value.code == "blob_corrupt"
    assert caught.value.message.startswith(
        f"Stored document blob {blob.pk} (SHA-256 {blob.sha256[:12]}…) is unusable: "
    )


@pytest.mark.django_db
def test_a_flipped_ciphertext_byte_fails_authentication():
    blob, _ = blobs.blob_store(samples.pdf(), sniffed=SNIFFED)
    stored = bytearray(_stored(blob))
    stored[-20] ^= 0x80
    _overwrite(blob, bytes(stored))
    with pytest.raises(BlobCorrupt) as caught:
        blobs.blob_read(blob)
    assert caught.value.problem == "the stored bytes were changed (authentication failed)"


@pytest.mark.django_db
def test_another_blobs_file_swapped_in_is_refused():
    one, _ = blobs.blob_store(samples.pdf(pages=1), sniffed=SNIFFED)
    two, _ = blobs.blob_store(samples.pdf(pages=2), sniffed=SNIFFED)
    _overwrite(one, _stored(two))
    with pytest.raises(BlobCorrupt) as caught:
        blobs.blob_read(one)
    assert caught.value.problem == "the stored bytes were changed (authentication failed)"


@pytest.mark.django_db
def test_a_missing_file_is_reported():
    blob, _ = blobs.blob_store(samples.pdf(), sniffed=SNIFFED)
    default_storage.delete(blob.stored_name)
    with pytest.raises(BlobCorrupt) as caught:
        blobs.blob_read(blob)
    assert caught.value.problem == "its stored file is missing"


@pytest.mark.django_db
def test_a_wrong_hash_on_the_row_is_reported():
    blob, _ = blobs.blob_store(samples.pdf(), sniffed=SNIFFED)
    plaintext = b"not the document"
    _overwrite(blob, blobs.encrypt(plaintext, sha256=blob.sha256))
    with pytest.raises(BlobCorrupt) as caught:
        blobs.blob_read(blob)
    assert caught.value.problem == "its content no longer matches its SHA-256"


@pytest.mark.django_db
def test_rotation_re_encrypts_under_the_current_key_and_old_keys_stay_readable(
    settings, django_capture_on_commit_callbacks
):
    settings.FRONTDESK_DOCUMENT_KEYS = [KEY_A]
    old_blob, _ = blobs.blob_store(samples.pdf(pages=1), sniffed=SNIFFED)
    old_name, key_a = old_blob.stored_name, old_blob.key_id

    settings.FRONTDESK_DOCUMENT_KEYS = [KEY_B, KEY_A]  # B is current, A still readable
    key_b = blobs.current_key().key_id
    assert key_a != key_b
    assert blobs.blob_read(old_blob) == samples.pdf(pages=1)
    new_blob, _ = blobs.blob_store(samples.png(), sniffed=Sniffed(kind="png", pages=1))
    assert new_blob.key_id == key_b

    with django_capture_on_commit_callbacks(execute=True):
        result = document_keys_rotate(actor=None)

    old_blob.refresh_from_db()
    assert (result.rotated, result.already_current, result.failed) == (1, 1, [])
    assert old_blob.key_id == key_b and old_blob.stored_name != old_name
    assert default_storage.exists(old_name) is False
    assert blobs.stored_key_id(_stored(old_blob)) == key_b
    settings.FRONTDESK_DOCUMENT_KEYS = [KEY_B]  # A retired
    assert blobs.blob_read(old_blob) == samples.pdf(pages=1)
    assert document_keys_rotate(actor=None).rotated == 0


@pytest.mark.django_db
def test_a_retired_key_is_named(settings):
    settings.FRONTDESK_DOCUMENT_KEYS = [KEY_A]
    blob, _ = blobs.blob_store(samples.pdf(), sniffed=SNIFFED)
    settings.FRONTDESK_DOCUMENT_KEYS = [KEY_B]
    with pytest.raises(BlobCorrupt) as caught:
        blobs.blob_read(blob)
    assert caught.value.problem == (
        f"it is encrypted under key '{blob.key_id}', which is not configured"
    )


@pytest.mark.django_db
def test_rotation_leaves_a_damaged_blob_as_it_was_and_says_so(settings):
    settings.FRONTDESK_DOCUMENT_KEYS = [KEY_A]
    blob, _ = blobs.blob_store(samples.pdf(), sniffed=SNIFFED)
    stored = bytearray(_stored(blob))
    stored[-1] ^= 0x01
    _overwrite(blob, bytes(stored))
    settings.FRONTDESK_DOCUMENT_KEYS = [KEY_B, KEY_A]
    out = io.StringIO()
    with pytest.raises(CommandError, match="could not be verified"):
        call_command("documents_rotate_keys", stdout=out)
    blob.refresh_from_db()
    assert blob.key_id == blobs._key_id(b"A" * 32)
    assert (
        out.getvalue().splitlines()[0]
        == "0 re-encrypted, 0 already under the current key, 1 failed."
    )


def test_development_falls_back_on_a_key_derived_from_secret_key(settings):
    settings.FRONTDESK_DOCUMENT_KEYS = []
    settings.SECRET_KEY = "test-secret-one"
    first = blobs.current_key()
    assert blobs.current_key() == first  # deterministic
    settings.SECRET_KEY = "test-secret-two"
    assert blobs.current_key().key != first.key


def test_production_without_keys_fails_closed(settings):
    settings.FRONTDESK_DOCUMENT_KEYS = []
    settings.PRODUCTION = True
    with pytest.raises(DocumentKeysMissing):
        blobs.current_key()


def test_a_malformed_key_is_a_configuration_error(settings):
    settings.FRONTDESK_DOCUMENT_KEYS = ["too-short"]
    with pytest.raises(ImproperlyConfigured, match="entry 1 is not base64 of 32 bytes"):
        blobs.current_key()


# --- the sweep of files no row names ---------------------------------------------------------------
DAY = 24 * 3600


def _age(name: str, seconds: float) -> str:
    """Set the stored file's modified time ``seconds`` ago (the local storage is a real directory)."""
    then = time.time() - seconds
    os.utime(default_storage.path(name), (then, then))
    return name


def _orphan(*, seconds_ago: float) -> str:
    """A file written the way blob_store writes one, whose row never committed."""
    name = blobs._write(blobs.encrypt(b"rolled back", sha256=hashlib.sha256(b"x").hexdigest()))
    return _age(name, seconds_ago)


def _stored_blob(*, seconds_ago: float, pages: int = 1) -> Blob:
    blob, _ = blobs.blob_store(samples.pdf(pages=pages), sniffed=SNIFFED)
    _age(blob.stored_name, seconds_ago)
    return blob


def _foreign(name: str) -> str:
    saved = default_storage.save(name, blobs.ContentFile(b"not ours"))
    return _age(saved, 30 * DAY)


@pytest.mark.django_db
def test_an_orphan_older_than_the_grace_period_is_removed_and_counted_in_the_audit():
    old = _orphan(seconds_ago=2 * DAY)
    result = blobs.blob_sweep_orphans()
    assert result == blobs.SweepResult(
        files_seen=1, orphans=1, removed=1, names=[old], recent=0, other_files=0
    )
    assert default_storage.exists(old) is False
    event = AuditEvent.objects.get(object_type="document_blob_files")
    assert (event.actor_id, event.actor_name, event.action, event.category) == (
        None,
        "system (document blob sweep)",
        "delete",
        "documents",
    )
    assert event.detail == {
        "dry_run": False,
        "older_than_hours": 24.0,
        "files_seen": 1,
        "orphans": 1,
        "removed": 1,
        "recent": 0,
        "other_files": 0,
    }


@pytest.mark.django_db
def test_a_young_orphan_is_kept_its_transaction_may_not_have_committed_yet():
    young = _orphan(seconds_ago=10 * 60)
    result = blobs.blob_sweep_orphans()
    assert (result.files_seen, result.orphans, result.removed, result.recent) == (1, 0, 0, 1)
    assert default_storage.exists(young) is True
    # A shorter grace period (still at least an hour) takes the older ones.
    two_hours = _orphan(seconds_ago=2 * 3600)
    result = blobs.blob_sweep_orphans(older_than=dt.timedelta(hours=1))
    assert (result.orphans, result.removed, result.names, result.recent) == (1, 1, [two_hours], 1)
    assert default_storage.exists(young) is True


@pytest.mark.django_db
def test_a_file_a_row_names_is_never_removed_however_old():
    blob = _stored_blob(seconds_ago=400 * DAY)
    old = _orphan(seconds_ago=400 * DAY)
    result = blobs.blob_sweep_orphans(older_than=dt.timedelta(hours=1))
    assert (result.files_seen, result.orphans, result.removed, result.names) == (2, 1, 1, [old])
    assert blobs.blob_read(blob) == samples.pdf(pages=1)


@pytest.mark.django_db
def test_files_not_named_like_blobs_are_left_alone_and_counted_apart():
    blob = _stored_blob(seconds_ago=3 * DAY)
    token = "ab" + "0" * 30
    foreign = [
        _foreign("documents/README.txt"),
        _foreign("documents/ab/notes.txt"),
        _foreign(f"documents/cd/{token}.blob"),  # our shape, in another shard than its name's
        _foreign(f"documents/ab/{token}.blob.bak"),
        _foreign(f"documents/ab/deeper/{token}.blob"),
    ]
    result = blobs.blob_sweep_orphans()
    assert (result.files_seen, result.other_files, result.orphans, result.removed) == (6, 5, 0, 0)
    assert [default_storage.exists(name) for name in foreign] == [True] * 5
    assert default_storage.exists(blob.stored_name) is True


@pytest.mark.django_db
def test_a_name_django_made_unique_is_still_recognised():
    token = "ef" + "1" * 30
    name = default_storage.save(f"documents/ef/{token}_Ab3dE9z.blob", blobs.ContentFile(b"x"))
    _age(name, 2 * DAY)
    assert blobs.blob_sweep_orphans().names == [name]


@pytest.mark.django_db
def test_a_dry_run_removes_nothing_and_says_what_would_go():
    old = _orphan(seconds_ago=2 * DAY)
    result = blobs.blob_sweep_orphans(dry_run=True)
    assert (result.orphans, result.removed, result.names) == (1, 0, [old])
    assert default_storage.exists(old) is True
    event = AuditEvent.objects.get(object_type="document_blob_files")
    assert (event.action, event.detail["dry_run"], event.detail["removed"]) == ("query", True, 0)


@pytest.mark.django_db
def test_names_are_checked_against_the_rows_a_batch_at_a_time(monkeypatch):
    monkeypatch.setattr(blobs, "SWEEP_BATCH", 2)
    kept = [_stored_blob(seconds_ago=2 * DAY, pages=pages).stored_name for pages in (1, 2, 3)]
    gone = sorted(_orphan(seconds_ago=2 * DAY) for _ in range(3))
    result = blobs.blob_sweep_orphans()
    assert (result.files_seen, result.orphans, sorted(result.names)) == (6, 3, gone)
    assert [default_storage.exists(name) for name in kept + gone] == [True] * 3 + [False] * 3


@pytest.mark.django_db
def test_an_empty_or_missing_store_is_swept_without_error():
    assert blobs.blob_sweep_orphans() == blobs.SweepResult(
        files_seen=0, orphans=0, removed=0, names=[]
    )


@pytest.mark.django_db
def test_a_grace_period_under_an_hour_is_refused_and_nothing_happens():
    old = _orphan(seconds_ago=2 * DAY)
    with pytest.raises(ValidationFailed) as caught:
        blobs.blob_sweep_orphans(older_than=dt.timedelta(minutes=59))
    assert caught.value.field == "older_than"
    assert default_storage.exists(old) is True
    assert not AuditEvent.objects.filter(object_type="document_blob_files").exists()


def test_the_sweep_runs_daily_on_the_clock():
    periodic = {task.name: task for task in PERIODIC_TASKS}
    sweep = periodic["documents.sweep_blobs"]
    assert (sweep.every, sweep.task.module_path) == (
        dt.timedelta(days=1),
        "frontdesk.documents.tasks.documents_sweep_blobs",
    )


@pytest.mark.django_db
def test_the_task_sweeps_with_the_default_grace_period():
    from frontdesk.documents.tasks import documents_sweep_blobs

    old, young = _orphan(seconds_ago=2 * DAY), _orphan(seconds_ago=3600)
    assert documents_sweep_blobs.call() == {"files_seen": 2, "removed": 1, "recent": 1}
    assert (default_storage.exists(old), default_storage.exists(young)) == (False, True)


@pytest.mark.django_db
def test_the_command_prints_the_counts():
    assert translate(["documents", "sweep-blobs", "--dry-run"]) == [
        "documents_sweep_blobs",
        "--dry-run",
    ]
    _stored_blob(seconds_ago=2 * DAY)
    old, recent = _orphan(seconds_ago=5 * 3600), _orphan(seconds_ago=30 * 60)
    _foreign("documents/notes.txt")

    out = io.StringIO()
    call_command("documents_sweep_blobs", "--dry-run", "--older-than-hours", "2", stdout=out)
    assert out.getvalue() == (
        "4 files seen, 1 unreferenced and old enough: 1 would be removed (dry run); "
        "1 unreferenced but recent kept, 1 other files left alone.\n"
    )
    assert default_storage.exists(old) is True

    out = io.StringIO()
    call_command("documents_sweep_blobs", stdout=out)
    assert out.getvalue() == (
        "4 files seen, 0 unreferenced and old enough: 0 removed; "
        "2 unreferenced but recent kept, 1 other files left alone.\n"
    )
    out = io.StringIO()
    call_command("documents_sweep_blobs", "--older-than-hours", "2", stdout=out)
    assert out.getvalue().startswith("4 files seen, 1 unreferenced and old enough: 1 removed; ")
    assert (default_storage.exists(old), default_storage.exists(recent)) == (False, True)

    with pytest.raises(CommandError, match="at least an hour"):
        call_command("documents_sweep_blobs", "--older-than-hours", "0", stdout=io.StringIO())
