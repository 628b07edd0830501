"""Domain errors of eligibility."""

from __future__ import annotations

from frontdesk.core.errors import DomainError


class EligibilityError(DomainError):
    """An eligibility request that cannot be made as asked (nothing was sent)."""


class ImportMismatch(DomainError):
    """A 271 file that does not answer any check waiting for it (nothing was changed)."""


class SendFailed(Exception):
    """The exchange with the clearinghouse did not give a usable answer (reason in plain words)."""

    def __init__(self, reason: str, *, retry: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
