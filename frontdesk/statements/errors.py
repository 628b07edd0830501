from __future__ import annotations

from frontdesk.core.errors import Conflict


class StatementTooSoon(Conflict):
    """The account already had a statement in the current cycle."""

    def __init__(self) -> None:
        super().__init__(
            "This account already had a statement this cycle.", code="statement_too_soon"
        )
