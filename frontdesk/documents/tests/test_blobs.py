"""The encrypted, content-addressed blob store: round trip, dedupe, tamper detection, key rotation."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from frontdesk.documents import blobs
from frontdesk.documents.errors import BlobCorrupt, DocumentKeysMissing
from frontdesk.documents.models import Blob
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
