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
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass
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
