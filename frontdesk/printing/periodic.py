"""Periodic tasks of printing, run by ``frontdesk clock``."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from frontdesk.core.periodic import Periodic
from frontdesk.printing.tasks import downtime_packet, encounter_form_batches_expire

PERIODIC_TASKS = [
    # The packet must be fresh when the system goes down; each build replaces the previous one.
    Periodic(
        "printing.downtime_packet",
        downtime_packet,
        dt.timedelta(minutes=settings.DOWNTIME_INTERVAL_MINUTES),
    ),
    # Whole-day encounter-form PDFs are kept 24 hours after they were asked for, then deleted.
    Periodic("printing.batches_expire", encounter_form_batches_expire, dt.timedelta(hours=1)),
]
