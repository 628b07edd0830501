"""Domain errors of billing."""

from __future__ import annotations

from frontdesk.core.errors import Conflict, ValidationFailed


class TransitionRefused(Conflict):
    """A claim's status cannot move from where it is to where it was asked to go."""

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(
            f"A claim that is {current} cannot become {wanted}.", code="transition_refused"
        )


class ChargesAlreadyEntered(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "Charges were already entered for this visit. Correct them on the claim "
            "(a corrected claim) instead of entering them again.",
            code="charges_already_entered",
        )


class AckImportError(ValidationFailed):
    """An acknowledgment file could not be applied; nothing was changed."""

    def __init__(self, message: str, *, code: str = "ack_invalid") -> None:
        super().__init__(message, code=code)


class NothingToSend(Conflict):
    def __init__(self) -> None:
        super().__init__("No claims are ready to send.", code="nothing_to_send")
