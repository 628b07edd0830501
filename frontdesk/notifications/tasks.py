"""Background tasks of notifications: deliver one message; write the reminders now due."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from frontdesk.notifications.services import (
    message_deliver_now,
    messages_release_due,
    reminders_send_due,
)


@task()
def message_deliver(message_id: int) -> str:
    """Send one message if still due (a retried or duplicate task sends nothing twice)."""
    return message_deliver_now(message_id=message_id)


@task()
def reminders_due(now: str | None = None) -> int:
    """Write (and enqueue) the reminders due around ``now`` (ISO 8601; default: the current time)."""
    return reminders_send_due(now=dt.datetime.fromisoformat(now) if now else None)


@task()
def messages_release() -> int:
    """Enqueue the deferred messages whose quiet hours are over (run every 5 minutes by the clock)."""
    return messages_release_due()
