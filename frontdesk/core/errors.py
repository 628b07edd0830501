"""Typed domain errors, mapped to HTTP answers and form errors in one place (interfaces)."""

from __future__ import annotations


class DomainError(Exception):
    """A business-rule violation with a stable machine code and a message safe to show a user.

    ``field`` names the input the message belongs beside, when there is one; ``fields`` carries several
    such messages at once (validation of a whole form).
    """

    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        field: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.fields: dict[str, list[str]] = dict(fields or {})
        if field and field not in self.fields:
            self.fields[field] = [message]


class ValidationFailed(DomainError):
    """Input failed validation; nothing was written."""


class NotFound(DomainError):
    """The object does not exist or is outside what the user may see (the two look the same)."""

    http_status = 404

    def __init__(self, message: str = "Not found.", *, code: str = "not_found") -> None:
        super().__init__(message, code=code)


class PermissionDenied(DomainError):
    """The user's role does not allow the action."""

    http_status = 403

    def __init__(
        self, message: str = "You do not have permission to do that.", *, code: str = "forbidden"
    ) -> None:
        super().__init__(message, code=code)


class Conflict(DomainError):
    """The write conflicts with the current state (already taken, already merged, stale)."""

    http_status = 409


class FieldErrors:
    """Collects per-field messages while a service checks its input; ``raise_if_any`` raises one
    ValidationFailed carrying all of them, so a form shows every problem at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed("Please correct the highlighted fields.", fields=self.fields)
