"""What each SMS reply does (registered in ``replies.REPLY_HANDLERS`` when the app loads).

C confirms the appointment; R marks it "reschedule requested" and leaves a call-back task for the
front desk; X cancels it as the patient (scheduling's service, its own audit row) and then offers the
freed slot to the waitlist when that app is installed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.db import transaction

from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import DomainError
from frontdesk.notifications import replies
from frontdesk.notifications.choices import FollowUpKind, ReplyAction
from frontdesk.notifications.models import FollowUpTask, InboundMessage
from frontdesk.scheduling.choices import ConfirmationStatus
from frontdesk.scheduling.models import Appointment

logger = logging.getLogger("frontdesk.notifications")

ACTOR_NAME = "sms reply"


def _set_confirmation(appointment: Appointment, status: str, inbound: InboundMessage) -> None:
    Appointment.objects.filter(pk=appointment.pk).update(confirmation_status=status)
    audit_record(
        actor=None,
        actor_name=ACTOR_NAME,
        action=AuditAction.UPDATE,
        category=AuditCategory.SCHEDULE,
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.pk,
        detail={"event": "sms_reply", "confirmation_status": status, "inbound": inbound.pk},
    )


def reply_confirm(*, appointment: Appointment, inbound: InboundMessage) -> str:
    with transaction.atomic():
        _set_confirmation(appointment, ConfirmationStatus.CONFIRMED, inbound)
    return ReplyAction.CONFIRMED


def reply_reschedule(*, appointment: Appointment, inbound: InboundMessage) -> str:
    with transaction.atomic():
        _set_confirmation(appointment, ConfirmationStatus.RESCHEDULE_REQUESTED, inbound)
        FollowUpTask.objects.create(
            kind=FollowUpKind.RESCHEDULE_CALLBACK,
            patient_id=appointment.patient_id,
            appointment=appointment,
        )
    return ReplyAction.RESCHEDULE_REQUESTED


def _offer_to_waitlist(appointment: Appointment) -> None:
    # Only when the waitlist app is installed (importing its models otherwise raises RuntimeError).
    if not apps.is_installed("frontdesk.waitlist"):
        return
    try:
        from frontdesk.waitlist.services import (  # type: ignore[import-not-found, unused-ignore]
            waitlist_slot_opened,
        )
    except ImportError:
        return
    kwargs: dict[str, Any] = {
        "provider_id": appointment.provider_id,
        "location_id": appointment.location_id,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "appointment_type_id": appointment.appointment_type_id,
    }

    def offer() -> None:
        # The cancellation has committed; a waitlist failure must not turn the reply into an error
        # (the SMS provider would retry it). Log the code only.
        try:
            waitlist_slot_opened(**kwargs)
        except Exception as error:
            logger.error(
                "waitlist offer failed for appointment %s: %s", appointment.pk, type(error).__name__
            )

    transaction.on_commit(offer)


def reply_cancel(*, appointment: Appointment, inbound: InboundMessage) -> str:
    from frontdesk.scheduling.services import appointment_cancel_by_patient_reply

    try:
        with transaction.atomic():
            cancelled = appointment_cancel_by_patient_reply(appointment=appointment)
    except DomainError:
        logger.info("sms cancel refused for appointment %s", appointment.pk)
        return ReplyAction.FAILED
    _offer_to_waitlist(cancelled)
    return ReplyAction.CANCELLED


replies.register("C", reply_confirm)
replies.register("R", reply_reschedule)
replies.register("X", reply_cancel)
