"""Encryption at rest for designated fields and stored files (Fernet, key rotation by MultiFernet).

Keys come from ``settings.FIELD_ENCRYPTION_KEYS``, newest first: new data is encrypted with the first
key, and data written under any listed key stays readable. ``rotate`` re-encrypts under the newest key.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise RuntimeError("FIELD_ENCRYPTION_KEYS is empty.")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def cipher() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_bytes(data: bytes) -> bytes:
    return cipher().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return cipher().decrypt(token)
    except InvalidToken as exc:  # wrong key set or damaged data: say so, never return garbage
        raise ValueError("Encrypted data could not be decrypted with the configured keys.") from exc


def encrypt_text(value: str) -> str:
    return encrypt_bytes(value.encode()).decode("ascii")


def decrypt_text(token: str) -> str:
    return decrypt_bytes(token.encode("ascii")).decode()


def rotate_token(token: str) -> str:
    """Re-encrypt a token under the newest key."""
    return cipher().rotate(token.encode("ascii")).decode("ascii")
