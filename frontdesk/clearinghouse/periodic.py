"""Periodic tasks of the clearinghouse, run by ``frontdesk clock``."""

from __future__ import annotations

import datetime as dt

from frontdesk.clearinghouse.tasks import clearinghouse_inbox_poll
from frontdesk.core.periodic import Periodic

PERIODIC_TASKS = [
    # Acknowledgments (999, 277CA) and remittances (835) arrive whenever the payer sends them.
    Periodic("clearinghouse.inbox_poll", clearinghouse_inbox_poll, dt.timedelta(minutes=5)),
]
