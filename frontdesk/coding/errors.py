from __future__ import annotations

from typing import Any

from frontdesk.core.errors import ValidationFailed


class CodeImportInvalid(ValidationFailed):
    """A code or fee file failed validation; nothing was written. ``errors`` lists every problem as
    ``{"row": n, "column": name, "message": text}`` (row 1 is the header row)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        first = errors[0]["message"] if errors else "The file is not valid."
        more = (
            f" ({len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
            if len(errors) > 1
            else ""
        )
        super().__init__(
            f"Nothing was imported: {first}{more}", code="code_import_invalid", field="file"
        )
        self.errors = errors
