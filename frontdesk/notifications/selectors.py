"""Reads of the message log and the follow-up tasks, scoped and audited (they name patients).

Messages, replies and tasks carry no location of their own: a row tied to an appointment is seen by
staff of the appointment's location; one without an appointment (a waitlist offer, an unknown sender)
by any staff member allowed the action. Restricted (confidential) patients stay hidden as everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Q, QuerySet

from frontdesk.accounts.policy import A
from frontdesk.audit.choices import AuditAction, AuditCategory
from frontdesk.audit.services import audit_record
from frontdesk.core.errors import NotFound
from frontdesk.notifications.models import FollowUpTask, InboundMessage, Message
from frontdesk.patients.models import Patient
from frontdesk.practice.models import Location

LIST_LIMIT = 500


def mask_address(address: str) -> str:
    """Show only enough to recognise a recipient: ***-***-1234, j***@example.com."""
    address = address or ""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = re.sub(r"\D", "", address)
    return f"***-***-{digits[-4:]}" if len(digits) >= 4 else "***"


def _scoped(rows: QuerySet[Any], user: Any, action: str, *, patient_optional: bool) -> Any:
    locations = Location.objects.restrict(user, action)
    visible = Patient.objects.restrict(user, action)
    rows = rows.filter(Q(appointment__isnull=True) | Q(appointment__location__in=locations))
    patient_ok = Q(patient__in=visible)
    if patient_optional:
        patient_ok |= Q(patient__isnull=True)
    return rows.filter(patient_ok)


def _day_range(rows: Any, field: str, date_from: dt.date | None, date_to: dt.date | None) -> Any:
    if date_from is not None:
        rows = rows.filter(**{f"{field}__date__gte": date_from})
    if date_to is not None:
        rows = rows.filter(**{f"{field}__date__lte": date_to})
    return rows


def message_list(
    *,
    user: Any,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    status: str = "",
    channel: str = "",
) -> list[Message]:
    """Messages sent (or queued) to patients, newest first; one audit row (query)."""
    if not user.can(A.MESSAGE_VIEW):
        return []
    rows = _scoped(
        Message.objects.select_related("patient", "appointment"),
        user,
        A.MESSAGE_VIEW,
        patient_optional=False,
    ).defer("body", "ics")
    rows = _day_range(rows, "created_at", date_from, date_to)
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    result = list(rows.order_by("-created_at", "-pk")[:LIST_LIMIT])
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        object_type="message",
        detail={"status": status, "channel": channel, "results": len(result)},
    )
    return result


def inbound_list(
    *, user: Any, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[InboundMessage]:
    """SMS replies received, newest first; one audit row (query)."""
    if not user.can(A.MESSAGE_VIEW):
        return []
    rows = _scoped(
        InboundMessage.objects.select_related("patient", "appointment"),
        user,
        A.MESSAGE_VIEW,
        patient_optional=True,
    )
    rows = _day_range(rows, "received_at", date_from, date_to)
    result = list(rows.order_by("-received_at", "-pk")[:LIST_LIMIT])
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        object_type="inbound_message",
        detail={"results": len(result)},
    )
    return result


def followup_task_queryset(*, user: Any) -> Any:
    """Tasks the user may work (not audited: callers audit what they show)."""
    if not user.can(A.TASK_WORK):
        return FollowUpTask.objects.none()
    return _scoped(FollowUpTask.objects.all(), user, A.TASK_WORK, patient_optional=False)


def followup_task_list(*, user: Any, include_done: bool = False) -> list[FollowUpTask]:
    """Open tasks oldest first (then, if asked, the 100 most recently done); one audit row."""
    rows = followup_task_queryset(user=user).select_related(
        "patient", "appointment", "appointment__location", "claimed_by", "done_by"
    )
    result = list(rows.filter(done_at__isnull=True).order_by("created_at", "pk")[:LIST_LIMIT])
    if include_done:
        result += list(rows.filter(done_at__isnull=False).order_by("-done_at", "-pk")[:100])
    audit_record(
        actor=user,
        action=AuditAction.QUERY,
        category=AuditCategory.SCHEDULE,
        object_type="followup_task",
        detail={"include_done": include_done, "results": len(result)},
    )
    return result


def followup_task_open_count(*, user: Any) -> int:
    """How many tasks are open (the navigation badge; a count, not audited)."""
    count: int = followup_task_queryset(user=user).filter(done_at__isnull=True).count()
    return count


def followup_task_get(*, user: Any, task_id: int) -> FollowUpTask:
    task: FollowUpTask | None = followup_task_queryset(user=user).filter(pk=task_id).first()
    if task is None:
        raise NotFound()
    return task
