"""Domain errors of remittance posting."""

from __future__ import annotations

from frontdesk.core.errors import Conflict, ValidationFailed


class RemittanceFileInvalid(ValidationFailed):
    """The 835 could not be read (truncated, malformed, out of balance); nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="era_invalid", field="file")


class UnknownClaims(ValidationFailed):
    """No claim of the 835 is one of ours; nothing was written."""

    def __init__(self, claim_ids: list[str]) -> None:
        self.claim_ids = claim_ids
        message = (
            "None of the claims in this 835 is a FrontDesk claim: "
            + ", ".join(claim_ids)
            + ". Nothing was posted."
            if claim_ids
            else "This 835 pays no claim (provider-level adjustments only are not posted "
            "automatically). Nothing was posted."
        )
        super().__init__(
            message,
            code="era_unknown_claims",
            field="file",
        )


class DenialClosed(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "That denial is already closed (written off, billed to the patient or resolved).",
            code="denial_closed",
        )
