"""Domain errors of the scheduling app."""

from __future__ import annotations

from frontdesk.core.errors import Conflict

SLOT_TAKEN_MESSAGE = "That time was just taken; pick another."


class SlotTaken(Conflict):
    """Someone else holds or booked the time (provider, room, equipment) between search and booking."""

    def __init__(self, message: str = SLOT_TAKEN_MESSAGE, *, code: str = "slot_taken") -> None:
        super().__init__(message, code=code)


class PatientDoubleBooked(Conflict):
    """The patient already has an appointment that overlaps the requested time."""

    def __init__(
        self,
        message: str = "This patient already has an appointment at that time.",
        *,
        code: str = "patient_overlap",
    ) -> None:
        super().__init__(message, code=code)
