"""Periodic tasks of eligibility, run by ``frontdesk clock``."""

from __future__ import annotations

import datetime as dt

from frontdesk.core.periodic import Periodic
from frontdesk.eligibility.tasks import eligibility_nightly, eligibility_retry_due

PERIODIC_TASKS = [
    # The next days' booked appointments, checked overnight so the desk starts with answers.
    Periodic("eligibility.nightly_batch", eligibility_nightly, dt.timedelta(days=1)),
    # Failed checks (clearinghouse down, garbage answer) are tried again with backoff.
    Periodic("eligibility.retry_due", eligibility_retry_due, dt.timedelta(minutes=5)),
]
