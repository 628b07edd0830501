"""Periodic tasks of statements and payment plans, run by ``frontdesk clock``."""

from __future__ import annotations

import datetime as dt

from frontdesk.core.periodic import Periodic
from frontdesk.statements.tasks import instalment_reminders

PERIODIC_TASKS = [
    # Each instalment is reminded once (claimed by its reminded_at), a few days before it is due.
    Periodic("statements.instalment_reminders", instalment_reminders, dt.timedelta(hours=1)),
]
