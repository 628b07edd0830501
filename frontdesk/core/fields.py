"""Model fields shared by domain apps."""

from __future__ import annotations

from typing import Any

from django.db import models

from frontdesk.core import crypto


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text stored encrypted (Fernet); the database and its dumps never hold the plain value.

    Encrypted values cannot be searched or sorted: keep a derived, non-sensitive column (e.g. the last
    four digits of an SSN) beside the field when a lookup is needed.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt_text(str(value))
