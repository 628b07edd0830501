"""Domain errors of the patients app (mapped to HTTP answers and form errors by the interfaces)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from frontdesk.core.errors import Conflict, DomainError

if TYPE_CHECKING:
    from frontdesk.patients.duplicates import DuplicateCandidate


class PossibleDuplicates(Conflict):
    """Registration stopped: existing patients look like the same person; a reason is needed to go on."""

    def __init__(
        self,
        candidates: Sequence[DuplicateCandidate],
        message: str = "This patient may already be registered. Check the possible matches, "
        "or give a reason to register anyway.",
    ) -> None:
        super().__init__(message, code="possible_duplicates")
        self.candidates: list[DuplicateCandidate] = list(candidates)


class PatientMerged(DomainError):
    """The record asked for was merged into another one; ``survivor_id`` is where it lives now."""

    http_status = 410

    def __init__(
        self, survivor_id: int, message: str = "This record was merged into another patient."
    ) -> None:
        super().__init__(message, code="patient_merged")
        self.survivor_id = survivor_id
