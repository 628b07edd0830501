"""Errors of the document inbox."""

from __future__ import annotations

from frontdesk.core.errors import DomainError


class DocumentError(DomainError):
    """A document could not be stored or read."""


class BlobCorrupt(DocumentError):
    """A stored file failed its check on read: missing, damaged, under an unknown key, or its
    SHA-256 no longer matches. The bytes are never served; the message names the blob."""

    http_status = 500

    def __init__(self, *, blob_id: int | None, sha256: str, problem: str) -> None:
        self.blob_id = blob_id
        self.sha256 = sha256
        self.problem = problem
        super().__init__(
            f"Stored document blob {blob_id} (SHA-256 {sha256[:12]}…) is unusable: {problem}",
            code="blob_corrupt",
        )


class DocumentKeysMissing(DocumentError):
    """No document encryption key is configured where one is required (production)."""

    http_status = 500
