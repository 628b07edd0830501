"""Domain errors of the ledger."""

from __future__ import annotations

from frontdesk.core.errors import Conflict

MSG_DAY_CLOSED = (
    "That business day is closed: nothing more can be posted into it. Corrections are posted to "
    "today as reversals; a manager can reopen the day with a reason."
)
MSG_ALREADY_REVERSED = "That entry has already been reversed."


class DayClosed(Conflict):
    """The location's business day is closed (locked) for postings."""

    def __init__(self, message: str = MSG_DAY_CLOSED, *, code: str = "day_closed") -> None:
        super().__init__(message, code=code)


class AlreadyReversed(Conflict):
    def __init__(
        self, message: str = MSG_ALREADY_REVERSED, *, code: str = "already_reversed"
    ) -> None:
        super().__init__(message, code=code)
