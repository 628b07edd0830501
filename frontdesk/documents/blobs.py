"""The content-addressed, encrypted blob store behind the document inbox.

Identity: the SHA-256 of the plaintext (``Blob.sha256``, unique), so the same file twice is stored
once. At rest: AES-256-GCM with a fresh 96-bit nonce per write. A stored file is

    b"FDB1" | len(key_id) (1 byte) | key_id (ASCII) | nonce (12 bytes) | ciphertext + tag (16 bytes)

and the associated data is the header plus the blob's SHA-256, so a stored file swapped for another
blob's file (both validly encrypted) fails to decrypt instead of serving the wrong document.

Keys: ``settings.FRONTDESK_DOCUMENT_KEYS``, base64 of 32 bytes each, current first. A key's id is
derived from the key (first 8 hex digits of a SHA-256 over it), so configuring keys needs no ids.
When the list is empty - development and tests - one key is derived from ``SECRET_KEY`` with HKDF (in
embedded mode SECRET_KEY is itself kept in the data directory, so the key is stable there); in
production an empty list refuses to store or read (fails closed). ``blob_rotate`` re-encrypts a blob
under the current key (``frontdesk documents rotate-keys``).

Every read decrypts AND re-hashes: a missing file, a flipped byte, an unknown key or a hash that no
longer matches raises ``BlobCorrupt`` naming the blob; the bytes are never returned.

Files no row names (a transaction rolled back after its write) are removed by ``blob_sweep_orphans``
(``frontdesk documents sweep-blobs``, and daily by the clock) once they are older than a grace period.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import posixpath
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import ValidationFailed
from frontdesk.documents.errors import BlobCorrupt, DocumentKeysMissing
from frontdesk.documents.models import Blob
from frontdesk.documents.sniff import Sniffed

MAGIC = b"FDB1"
NONCE_BYTES = 12
STORAGE_DIR = "documents"


@dataclass(frozen=True)
class DocumentKey:
    key_id: str
    key: bytes


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"frontdesk-document-key-id:" + key).hexdigest()[:8]


def _decode_key(raw: str, position: int) -> bytes:
    text = raw.strip()
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=False)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ImproperlyConfigured(
            f"FRONTDESK_DOCUMENT_KEYS entry {position} is not base64 of 32 bytes "
            '(make one with: python -c "import os, base64; print(base64.b64encode(os.urandom(32))'
            '.decode())").'
        )
    return key


@lru_cache(maxsize=8)
def _keys(
    configured: tuple[str, ...], secret_key: str, production: bool
) -> tuple[DocumentKey, ...]:
    if configured:
        keys = [_decode_key(raw, position) for position, raw in enumerate(configured, start=1)]
    elif production:
        raise DocumentKeysMissing(
            "FRONTDESK_DOCUMENT_KEYS must be set in production: documents are neither stored nor "
            "read without it.",
            code="document_keys_missing",
        )
    else:
        derived = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"frontdesk-documents",
            info=b"frontdesk document blobs v1",
        ).derive(secret_key.encode())
        keys = [derived]
    return tuple(DocumentKey(key_id=_key_id(key), key=key) for key in keys)


def document_keys() -> tuple[DocumentKey, ...]:
    """The configured document keys, current first."""
    return _keys(
        tuple(key for key in getattr(settings, "FRONTDESK_DOCUMENT_KEYS", []) if key.strip()),
        settings.SECRET_KEY,
        bool(getattr(settings, "PRODUCTION", False)),
    )


def current_key() -> DocumentKey:
    return document_keys()[0]


def _header(key_id: str) -> bytes:
    encoded = key_id.encode("ascii")
    return MAGIC + bytes([len(encoded)]) + encoded


def encrypt(plaintext: bytes, *, sha256: str, key: DocumentKey | None = None) -> bytes:
    """The stored form of ``plaintext`` under ``key`` (default: the current key)."""
    key = key or current_key()
    header = _header(key.key_id)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key.key).encrypt(nonce, plaintext, header + sha256.encode("ascii"))
    return header + nonce + sealed


def stored_key_id(stored: bytes) -> str:
    """The key id in a stored file's header ("" when the header is not ours)."""
    if not stored.startswith(MAGIC) or len(stored) < 5:
        return ""
    length = stored[4]
    return stored[5 : 5 + length].decode("ascii", "replace")


def decrypt(stored: bytes, *, sha256: str, blob_id: int | None = None) -> bytes:
    """The plaintext of a stored file, verified against ``sha256``; BlobCorrupt when anything is off."""

    def corrupt(problem: str) -> BlobCorrupt:
        return BlobCorrupt(blob_id=blob_id, sha256=sha256, problem=problem)

    if not stored.startswith(MAGIC) or len(stored) < 5:
        raise corrupt("the stored file does not start with the document header")
    key_id_length = stored[4]
    body_start = 5 + key_id_length
    if len(stored) < body_start + NONCE_BYTES + 16:
        raise corrupt("the stored file is truncated")
    key_id = stored[5:body_start].decode("ascii", "replace")
    key = next((k for k in document_keys() if k.key_id == key_id), None)
    if key is None:
        raise corrupt(f"it is encrypted under key {key_id!r}, which is not configured")
    nonce = stored[body_start : body_start + NONCE_BYTES]
    try:
        plaintext = AESGCM(key.key).decrypt(
            nonce, stored[body_start + NONCE_BYTES :], stored[:body_start] + sha256.encode("ascii")
        )
    except InvalidTag:
        raise corrupt("the stored bytes were changed (authentication failed)") from None
    if hashlib.sha256(plaintext).hexdigest() != sha256:
        raise corrupt("its content no longer matches its SHA-256")
    return plaintext


def _write(data: bytes) -> str:
    """Save ``data`` under a generated name (random: it says nothing about the file or patient)."""
    token = secrets.token_hex(16)
    return default_storage.save(f"{STORAGE_DIR}/{token[:2]}/{token}.blob", ContentFile(data))


def blob_store(data: bytes, *, sniffed: Sniffed) -> tuple[Blob, bool]:
    """The blob holding ``data``, stored now if new; returns (blob, created).

    Same content, same blob: a second arrival finds the first's row. Two arrivals racing on a new
    content both write a file; the unique SHA-256 lets one row win and the loser's file is removed.
    A caller's transaction that rolls back after a write leaves an unreferenced file behind (harmless
    ciphertext; a later sweep can remove files no row names).
    """
    sha256 = hashlib.sha256(data).hexdigest()
    existing = Blob.objects.filter(sha256=sha256).first()
    if existing is not None:
        if not existing.pages and sniffed.pages:
            # First seen over a cap (not counted), now accepted: record what this sniff measured.
            Blob.objects.filter(pk=existing.pk, pages=0).update(
                pages=sniffed.pages, width=sniffed.width, height=sniffed.height
            )
            existing.refresh_from_db()
        return existing, False
    key = current_key()
    stored_name = _write(encrypt(data, sha256=sha256, key=key))
    try:
        with transaction.atomic():
            blob = Blob.objects.create(
                sha256=sha256,
                size=len(data),
                kind=sniffed.kind,
                pages=sniffed.pages,
                width=sniffed.width,
                height=sniffed.height,
                stored_name=stored_name,
                key_id=key.key_id,
            )
    except IntegrityError:
        default_storage.delete(stored_name)
        return Blob.objects.get(sha256=sha256), False
    return blob, True


def blob_read(blob: Blob) -> bytes:
    """The blob's plaintext, decrypted and verified; BlobCorrupt (never the bytes) on any problem."""
    try:
        with default_storage.open(blob.stored_name, "rb") as handle:
            stored = handle.read()
    except (FileNotFoundError, OSError):
        raise BlobCorrupt(
            blob_id=blob.pk, sha256=blob.sha256, problem="its stored file is missing"
        ) from None
    return decrypt(stored, sha256=blob.sha256, blob_id=blob.pk)


def blob_rotate(blob: Blob) -> bool:
    """Re-encrypt ``blob`` under the current key; False when it already is. Verifies before writing.

    The new file gets a new generated name; the row is switched under a row lock and the old file is
    deleted only after the switch commits, so a crash leaves either the old or the new file in use.
    """
    key = current_key()
    if blob.key_id == key.key_id:
        return False
    plaintext = blob_read(blob)
    new_name = _write(encrypt(plaintext, sha256=blob.sha256, key=key))
    with transaction.atomic():
        locked = Blob.objects.select_for_update().get(pk=blob.pk)
        if locked.key_id == key.key_id:  # rotated meanwhile by someone else
            transaction.on_commit(lambda: default_storage.delete(new_name))
            return False
        old_name = locked.stored_name
        Blob.objects.filter(pk=blob.pk).update(stored_name=new_name, key_id=key.key_id)
        transaction.on_commit(lambda: default_storage.delete(old_name))
    blob.stored_name, blob.key_id = new_name, key.key_id
    return True


# --- sweeping files no row names --------------------------------------------------------------------

SWEEP_ACTOR = "system (document blob sweep)"
SWEEP_MIN_GRACE = dt.timedelta(hours=1)
SWEEP_BATCH = 500
# What ``_write`` makes: documents/<first 2 hex of the token>/<32 hex token>.blob, or with the
# ``_<7 letters/digits>`` Django's get_available_name adds when a name is taken (S3 does not
# overwrite either: file_overwrite is off in settings).
_BLOB_NAME = re.compile(
    rf"^{STORAGE_DIR}/(?P<shard>[0-9a-f]{{2}})/(?P=shard)[0-9a-f]{{30}}(?:_[A-Za-z0-9]{{7}})?\.blob$"
)


@dataclass(frozen=True)
class SweepResult:
    """What a sweep saw: every file under ``documents/``, how many were unreferenced blob files
    older than the grace period (``orphans``, their ``names``), and how many of those it deleted.
    ``recent`` unreferenced files were kept (inside the grace period); ``other_files`` do not look
    like ours and are never touched."""

    files_seen: int
    orphans: int
    removed: int
    names: list[str] = field(default_factory=list)
    recent: int = 0
    other_files: int = 0


def _storage_files(directory: str) -> Iterator[str]:
    """Every file name under ``directory`` in the default storage, through the Storage API only.

    ``listdir`` is one level on both FileSystemStorage and django-storages' S3Storage (a delimiter
    listing: "directories" are the common prefixes, names come back relative to the directory), so
    recurse. A directory that does not exist is empty on S3 and FileNotFoundError on disk.
    """
    try:
        directories, files = default_storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield posixpath.join(directory, name)
    for sub in sorted(directories):
        yield from _storage_files(posixpath.join(directory, sub))


def _batches(names: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for name in names:
        batch.append(name)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def blob_sweep_orphans(
    *, older_than: dt.timedelta = dt.timedelta(days=1), dry_run: bool = False
) -> SweepResult:
    """Delete the stored blob files no ``Blob`` row names and that are older than ``older_than``.

    Why a grace period: ``blob_store`` and ``blob_rotate`` write the file BEFORE the row that names
    it commits (a file must exist before a row may point at it). Between the two, which can be as
    long as the caller's transaction, the file is unreferenced as far as any other connection can
    see; deleting it then would leave the committed row pointing at nothing. A file older than the
    longest plausible transaction whose name is still in no row belongs to one that rolled back (or
    to a crash between write and commit) and is harmless ciphertext we may remove. The grace period
    may not be shorter than ``SWEEP_MIN_GRACE``.

    The storage is walked through the Storage API only (works for the local disk and for S3); the
    listed names are checked against ``Blob.stored_name`` a batch at a time, so a large table is
    never loaded whole, and the modified time is asked only of unreferenced files (one request each
    on S3). A name some row holds is never deleted, whatever its age; a file not named the way
    ``_write`` names files is left alone and counted in ``other_files``. ``dry_run`` deletes nothing
    and reports what would go. One audit row per run with the counts (stored names are random and
    say nothing about a patient, but the audit keeps counts only).
    """
    if older_than < SWEEP_MIN_GRACE:
        raise ValidationFailed(
            "The grace period must be at least an hour: a younger file may belong to a "
            "transaction that has not committed yet.",
            field="older_than",
        )
    cutoff = timezone.now() - older_than
    files_seen = other_files = recent = removed = 0
    orphan_names: list[str] = []
    for batch in _batches(_storage_files(STORAGE_DIR), SWEEP_BATCH):
        files_seen += len(batch)
        ours = [name for name in batch if _BLOB_NAME.match(name)]
        other_files += len(batch) - len(ours)
        named = set(Blob.objects.filter(stored_name__in=ours).values_list("stored_name", flat=True))
        for name in ours:
            if name in named:
                continue
            try:
                modified = default_storage.get_modified_time(name)
            except (FileNotFoundError, OSError):
                continue  # gone meanwhile (a rotation deleting its old file after commit)
            if timezone.is_naive(modified):  # USE_TZ off: the storage answers in local time
                modified = timezone.make_aware(modified)
            if modified > cutoff:
                recent += 1
                continue
            orphan_names.append(name)
            if not dry_run:
                default_storage.delete(name)
                removed += 1
    result = SweepResult(
        files_seen=files_seen,
        orphans=len(orphan_names),
        removed=removed,
        names=orphan_names,
        recent=recent,
        other_files=other_files,
    )
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_name=SWEEP_ACTOR,
            action=AuditAction.QUERY if dry_run else AuditAction.DELETE,
            category=AuditCategory.DOCUMENTS,
            object_type="document_blob_files",
            detail={
                "dry_run": dry_run,
                "older_than_hours": older_than.total_seconds() / 3600,
                "files_seen": result.files_seen,
                "orphans": result.orphans,
                "removed": result.removed,
                "recent": result.recent,
                "other_files": result.other_files,
            },
        )
    return result
