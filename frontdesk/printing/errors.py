"""Typed errors of printing."""

from __future__ import annotations

from frontdesk.core.errors import DomainError


class InvalidFormCode(DomainError):
    """A scanned encounter-form code that is malformed or whose signature does not match."""

    def __init__(self) -> None:
        super().__init__(
            "This is not a valid FrontDesk encounter-form code.", code="form_code_invalid"
        )
