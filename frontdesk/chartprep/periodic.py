"""Periodic tasks of chart prep and no-shows, run by ``frontdesk clock``."""

from __future__ import annotations

import datetime as dt

from frontdesk.chartprep.tasks import noshows_sweep, readiness_nightly, readiness_refresh
from frontdesk.core.periodic import Periodic

PERIODIC_TASKS = [
    # Coverage edits, bookings and reschedules happen in other apps, which do not call chart prep:
    # a full recompute of the window (seconds for thousands of visits) every few minutes catches them.
    Periodic("chartprep.readiness_refresh", readiness_refresh, dt.timedelta(minutes=5)),
    Periodic("chartprep.readiness_nightly", readiness_nightly, dt.timedelta(days=1)),
    # A visit becomes a no-show at start + grace (15 min): a 5-minute sweep marks it within 20.
    Periodic("chartprep.noshows_sweep", noshows_sweep, dt.timedelta(minutes=5)),
]
