"""Domain errors of the visits app."""

from __future__ import annotations

from frontdesk.core.errors import Conflict

MSG_ROOM_OCCUPIED = "That room is occupied by another patient; pick a free room."


class RoomOccupied(Conflict):
    """The room already holds a patient (one patient per room at a time)."""

    def __init__(self, message: str = MSG_ROOM_OCCUPIED, *, code: str = "room_occupied") -> None:
        super().__init__(message, code=code)
