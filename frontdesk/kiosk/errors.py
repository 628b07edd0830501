"""Typed errors of the kiosk app."""

from frontdesk.core.errors import ValidationFailed


class InvalidKioskCode(ValidationFailed):
    """A check-in code that was edited, invented or mistyped."""

    def __init__(self) -> None:
        super().__init__("This code is not valid — please see the front desk.", field="code")
