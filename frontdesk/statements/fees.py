"""No-show and late-cancellation fees: an optional practice policy (settings; empty = off).

Chart prep's no-show services call these through ``apps.is_installed("frontdesk.statements")``
(chart prep never imports statements at module level; see docs/architecture.md, known crossings).
A fee is posted at most once per appointment: the appointment row is locked and a live (unreversed)
fee entry for it is looked for first. Undoing a no-show reverses the fee.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from frontdesk.core.errors import DomainError
from frontdesk.core.money import MoneyError, parse_money
from frontdesk.ledger.choices import ChargeCode, EntryKind
from frontdesk.ledger.models import LedgerEntry
from frontdesk.ledger.services import charge_post, entry_reverse
from frontdesk.scheduling.models import Appointment

logger = logging.getLogger(__name__)

SETTING_FOR: dict[str, str] = {
    ChargeCode.NO_SHOW_FEE: "FRONTDESK_NOSHOW_FEE",
    ChargeCode.LATE_CANCEL_FEE: "FRONTDESK_LATE_CANCEL_FEE",
}


def fee_amount(code: str) -> Decimal | None:
    """The configured fee, or None when the practice charges none (empty, zero or unreadable)."""
    raw = str(getattr(settings, SETTING_FOR[code], "") or "").strip()
    if not raw:
        return None
    try:
        amount = parse_money(raw)
    except MoneyError:
        logger.warning("fee setting %s is not an amount; no fee posted", SETTING_FOR[code])
        return None
    return amount if amount > 0 else None


def _live_fee(appointment_id: int, code: str) -> LedgerEntry | None:
    return (
        LedgerEntry.objects.filter(
            appointment_id=appointment_id,
            kind=EntryKind.CHARGE,
            code=code,
            reverses__isnull=True,
            reversal__isnull=True,
        )
        .select_related("account", "location")
        .first()
    )


def appointment_fee_post(*, actor: Any, appointment: Appointment, code: str) -> LedgerEntry | None:
    """Post the no-show / late-cancel fee for ``appointment`` once; None when off or already there."""
    amount = fee_amount(code)
    if amount is None:
        return None
    try:
        with transaction.atomic():
            current = (
                Appointment.objects.select_for_update(of=("self",))
                .select_related("patient", "location")
                .get(pk=appointment.pk)
            )
            if _live_fee(current.pk, code) is not None:
                return None
            return charge_post(
                actor=actor,
                patient=current.patient,
                location=current.location,
                code=code,
                amount=amount,
                appointment=current,
                service_date=current.starts_at.astimezone(current.location.tzinfo).date(),
            )
    except (
        DomainError
    ) as exc:  # the day is closed, the actor may not post: log, never fail the sweep
        logger.warning("fee not posted appointment=%s code=%s", appointment.pk, exc.code)
        return None


def appointment_fee_reverse(
    *, actor: Any, appointment: Appointment, code: str, reason: str
) -> LedgerEntry | None:
    """Reverse the live fee of ``appointment`` (no-show undone); None when there is none."""
    with transaction.atomic():
        Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
        fee = _live_fee(appointment.pk, code)
        if fee is None:
            return None
        return entry_reverse(actor=actor, entry=fee, reason=reason)


# The hooks chart prep calls (looked up only when this app is installed).


def noshow_marked(*, actor: Any, appointment: Appointment) -> None:
    appointment_fee_post(actor=actor, appointment=appointment, code=ChargeCode.NO_SHOW_FEE)


def noshow_undone(*, actor: Any, appointment: Appointment) -> None:
    try:
        appointment_fee_reverse(
            actor=actor,
            appointment=appointment,
            code=ChargeCode.NO_SHOW_FEE,
            reason="No-show undone: the patient arrived",
        )
    except DomainError as exc:
        logger.warning("fee not reversed appointment=%s code=%s", appointment.pk, exc.code)


def late_cancel_tracked(*, actor: Any, appointment: Appointment) -> None:
    appointment_fee_post(actor=actor, appointment=appointment, code=ChargeCode.LATE_CANCEL_FEE)
