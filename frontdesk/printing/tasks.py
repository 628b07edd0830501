"""Background tasks of printing: rebuild the downtime packet; build and expire encounter-form batches."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from frontdesk.printing.batch_services import (
    encounter_form_batch_build,
    encounter_form_batches_purge,
)
from frontdesk.printing.downtime import downtime_packet_build


@task()
def downtime_packet() -> int:
    """Write a fresh downtime packet; return the number of appointments in it."""
    return int(downtime_packet_build()["appointment_count"])


@task()
def encounter_form_batch(batch_id: int) -> dict[str, Any]:
    """Build one requested encounter-form batch (a no-op when it is not queued any more)."""
    batch = encounter_form_batch_build(batch_id=batch_id)
    if batch is None:
        return {"batch_id": batch_id, "status": "skipped"}
    return {"batch_id": batch_id, "status": batch.status, "forms": batch.form_count}


@task()
def encounter_form_batches_expire() -> int:
    """Delete expired encounter-form batches and their stored files; return how many."""
    return encounter_form_batches_purge()
