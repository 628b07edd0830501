"""Errors of the X12 codecs: every one names where it happened, so a person can find it in the file."""

from __future__ import annotations


class X12Error(Exception):
    """Base of every X12 codec error."""


class X12ParseError(X12Error):
    """Input that is not a well-formed X12 interchange (or not the transaction the reader expects).

    ``segment_index`` is the 1-based position of the segment in the interchange, ``segment_id`` its tag
    (``"CLP"``), ``element`` the 1-based element position (0 = the whole segment). The message says
    what is wrong in plain words; ``str()`` adds the position.
    """

    def __init__(
        self,
        message: str,
        *,
        segment_index: int | None = None,
        segment_id: str = "",
        element: int | None = None,
    ) -> None:
        self.message = message
        self.segment_index = segment_index
        self.segment_id = segment_id
        self.element = element
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where: list[str] = []
        if self.segment_index is not None:
            where.append(f"segment {self.segment_index}")
        if self.segment_id:
            where.append(self.segment_id + (f"{self.element:02d}" if self.element else ""))
        return f"{self.message} ({', '.join(where)})" if where else self.message


class X12BuildError(X12Error):
    """A writer was given data it cannot put into a valid transaction (says which field and why)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        self.message = message
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)
