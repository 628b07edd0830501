"""Building blocks shared by every API schema: strict inputs, ids as strings, list answers."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, StringConstraints, field_validator

# Database ids are 64-bit; a larger number in a path is a 422, never a database overflow.
MAX_ID = 2**63 - 1
ID_PATH: dict[str, Any] = {"ge": 1, "le": MAX_ID, "description": "The object's id."}


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Refuse text a database or a printed form cannot hold: NUL and other control characters, lone
    surrogates, and (unless ``multiline``) line breaks."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            raise ValueError("Contains an invalid character")
        if category == "Cc" and not (char == "\t" or (multiline and char in "\r\n")):
            raise ValueError("Contains a control character or line break")
    return value


class InputSchema(Schema):
    """Base of every request body: unknown fields are refused (a typo is an error, not silently
    ignored), text is stripped and may not carry control characters."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    multiline_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_clean(cls, value: Any, info: Any) -> Any:
        if isinstance(value, str):
            return clean_text(value, multiline=info.field_name in cls.multiline_fields)
        return value


def _id_string(value: str) -> str:
    if not 1 <= int(value) <= MAX_ID:
        raise ValueError('Must be an id: a whole number written as a string, e.g. "42"')
    return value


ID_PATTERN = r"^[0-9]+$"
IdString = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=19, pattern=ID_PATTERN),
    AfterValidator(_id_string),
]


def list_answer(items: Sequence[Any]) -> dict[str, Any]:
    """The shape of every list answer: ``{"items": [...], "count": N}``."""
    return {"items": list(items), "count": len(items)}
