"""Periodic tasks of notifications, run by ``frontdesk clock``."""

from __future__ import annotations

import datetime as dt

from frontdesk.core.periodic import Periodic
from frontdesk.notifications.tasks import messages_release, reminders_due

PERIODIC_TASKS = [
    # Reminder runs are idempotent (one message per appointment and rule), so a run may overlap.
    Periodic("notifications.reminders_due", reminders_due, dt.timedelta(minutes=5)),
    # Backstop for quiet-hours messages whose delayed delivery task was lost.
    Periodic("notifications.messages_release", messages_release, dt.timedelta(minutes=5)),
]
