"""Periodic tasks of ops, run by ``frontdesk clock``."""

from __future__ import annotations

import datetime as dt

from frontdesk.core.periodic import Periodic
from frontdesk.ops.tasks import audit_chain_check, housekeeping

PERIODIC_TASKS = [
    Periodic("ops.housekeeping", housekeeping, dt.timedelta(hours=1)),
    Periodic("ops.audit_chain_check", audit_chain_check, dt.timedelta(days=1)),
]
