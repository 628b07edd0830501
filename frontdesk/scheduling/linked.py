"""Linked appointments: several visits of one patient (lab draw, then the provider visit) that are
booked together or not at all, sharing one ``link_group`` UUID.

Each item goes through ``appointment_book`` (every booking check, its own event and audit row); the
whole group is one transaction, so the first item that fails undoes the others and the error names it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, Literal

from django.db import transaction

from frontdesk.core.errors import Conflict, DomainError, ValidationFailed
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Location, Provider
from frontdesk.scheduling.choices import OPEN_STATUSES
from frontdesk.scheduling.models import Appointment, AppointmentType
from frontdesk.scheduling.services import (
    BOOK,
    _require,
    _require_location,
    appointment_book,
    appointment_cancel,
)

LinkedItem = tuple[Provider, Location, AppointmentType, dt.datetime]

MIN_ITEMS = 2
MAX_ITEMS = 6
MSG_ITEMS = f"Linked appointments are {MIN_ITEMS} to {MAX_ITEMS} visits booked together."
MSG_SCOPE = "Choose whether to cancel this appointment only or the whole linked group."


class LinkedItemFailed(Conflict):
    """One item of a linked booking could not be booked; nothing of the group was booked.

    ``item`` is the 1-based position of the failing item; ``cause_code`` and ``cause_message`` the
    code and message of its error (so an interface can name the part in its own words).
    """

    def __init__(self, *, item: int, cause: DomainError) -> None:
        super().__init__(
            f"Linked appointment {item}: {cause.message} Nothing was booked.",
            code="linked_item_failed",
        )
        self.item = item
        self.cause_code = cause.code
        self.cause_message = cause.message


def linked_book(*, actor: Any, patient: Patient, items: Sequence[LinkedItem]) -> list[Appointment]:
    """Book every item for ``patient`` with one shared ``link_group``, or none of them."""
    _require(actor, BOOK)
    if not MIN_ITEMS <= len(items) <= MAX_ITEMS:
        raise ValidationFailed(MSG_ITEMS, field="items")
    for _provider, location, _type, _start in items:
        _require_location(actor, location, BOOK)
    group = uuid.uuid4()
    booked: list[Appointment] = []
    with transaction.atomic():
        for position, (provider, location, appointment_type, starts_at) in enumerate(items, 1):
            try:
                appointment = appointment_book(
                    actor=actor,
                    patient=patient,
                    provider=provider,
                    location=location,
                    appointment_type=appointment_type,
                    starts_at=starts_at,
                )
            except (ValidationFailed, Conflict) as exc:
                raise LinkedItemFailed(item=position, cause=exc) from None
            booked.append(appointment)
        Appointment.objects.filter(pk__in=[a.pk for a in booked]).update(link_group=group)
    for appointment in booked:
        appointment.link_group = group
    return booked


def linked_group(appointment: Appointment) -> list[Appointment]:
    """The appointments linked with ``appointment`` (itself included), in time order."""
    if appointment.link_group is None:
        return [appointment]
    return list(
        Appointment.objects.filter(link_group=appointment.link_group).order_by("starts_at", "pk")
    )


def linked_cancel(
    *,
    actor: Any,
    appointment: Appointment,
    scope: Literal["one", "group"],
    reason: str,
    cancelled_by: str,
) -> list[Appointment]:
    """Cancel this appointment only, or every still-open appointment of its linked group, atomically."""
    _require(actor, BOOK)
    _require_location(actor, appointment.location, BOOK)
    if scope not in ("one", "group"):
        raise ValidationFailed(MSG_SCOPE, field="scope")
    if scope == "one" or appointment.link_group is None:
        targets = [appointment]
    else:
        targets = [
            a
            for a in linked_group(appointment)
            if a.status in OPEN_STATUSES or a.pk == appointment.pk
        ]
    with transaction.atomic():
        return [
            appointment_cancel(actor=actor, appointment=a, reason=reason, cancelled_by=cancelled_by)
            for a in targets
        ]


__all__ = ["LinkedItemFailed", "linked_book", "linked_cancel", "linked_group"]
