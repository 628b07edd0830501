"""Periodic tasks of the waitlist, run by ``frontdesk clock``."""

from __future__ import annotations

import datetime as dt

from frontdesk.core.periodic import Periodic
from frontdesk.waitlist.tasks import waitlist_expire_offers

PERIODIC_TASKS = [
    # An offer's expiry frees its slot for the next patient in line; a minute late is acceptable.
    Periodic("waitlist.expire_offers", waitlist_expire_offers, dt.timedelta(minutes=1)),
]
