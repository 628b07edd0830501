"""Periodic tasks of the document inbox, run by ``frontdesk clock``."""

from __future__ import annotations

import datetime as dt

from frontdesk.core.periodic import Periodic
from frontdesk.documents.tasks import (
    documents_fetch_mail,
    documents_requeue_stalled,
    documents_sweep_blobs,
    documents_watch,
)

PERIODIC_TASKS = [
    # Both are idempotent (a file or message already received is recognised), so runs may overlap.
    Periodic("documents.watch", documents_watch, dt.timedelta(minutes=1)),
    Periodic("documents.fetch_mail", documents_fetch_mail, dt.timedelta(minutes=1)),
    # A worker killed mid-document leaves its item unmoved: it is queued again and resumes.
    Periodic("documents.requeue_stalled", documents_requeue_stalled, dt.timedelta(minutes=5)),
    # Files a rolled-back transaction left behind; only those a day old (see blob_sweep_orphans).
    Periodic("documents.sweep_blobs", documents_sweep_blobs, dt.timedelta(days=1)),
]
