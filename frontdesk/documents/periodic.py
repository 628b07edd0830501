"""Periodic tasks of the document inbox, run by ``frontdesk clock``."""

from __future__ import annotations

import datetime as dt

from frontdesk.core.periodic import Periodic
from frontdesk.documents.tasks import documents_requeue_stalled

PERIODIC_TASKS = [
    # A worker killed mid-document leaves its item unmoved: it is queued again and resumes.
    Periodic("documents.requeue_stalled", documents_requeue_stalled, dt.timedelta(minutes=5)),
]
