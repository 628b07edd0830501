"""Vocabularies of the visits app: where a patient is in today's visit, and how identity was checked."""

from __future__ import annotations

from django.db import models


class FlowState(models.TextChoices):
    """The patient's place in the office today, in order (the flow board's columns)."""

    EXPECTED = "expected", "Expected"
    ARRIVED = "arrived", "Arrived"
    ROOMED = "roomed", "Roomed"
    CHECKOUT = "checkout", "Checkout"
    DONE = "done", "Done"


FLOW_ORDER: tuple[str, ...] = tuple(FlowState.values)


def flow_index(state: str) -> int:
    return FLOW_ORDER.index(state)


class IdentityMethod(models.TextChoices):
    PHOTO = "photo", "Matches the photo on file"
    DATE_OF_BIRTH = "dob", "Stated date of birth"
    DOCUMENT = "document", "Photo ID shown"
