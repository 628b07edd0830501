"""Periodic tasks of payments, run by ``frontdesk clock``."""

from __future__ import annotations

import datetime as dt

from frontdesk.core.periodic import Periodic
from frontdesk.payments.tasks import payments_reconcile

PERIODIC_TASKS = [
    # Card payments left pending by a processor timeout or a crash are finished against the
    # processor's records (a lookup, never a new charge).
    Periodic("payments.reconcile", payments_reconcile, dt.timedelta(minutes=5)),
]
