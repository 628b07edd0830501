"""Background tasks of eligibility (django-tasks): thin wrappers around one service each."""

from __future__ import annotations

from django_tasks import task

from frontdesk.eligibility import services


@task()
def eligibility_batch_run(batch_id: int) -> dict[str, int]:
    """Run one recorded batch (started from the batch page), updating its progress as it goes."""
    batch = services.batch_execute(batch_id=batch_id)
    return {"done": batch.done, "failed": batch.failed, "skipped": batch.skipped}


@task()
def eligibility_nightly() -> dict[str, int]:
    """Check the next days' booked appointments (nightly)."""
    batch = services.batch_nightly()
    return {"done": batch.done, "failed": batch.failed, "skipped": batch.skipped}


@task()
def eligibility_retry_due() -> dict[str, int]:
    """Retry the failed checks whose backoff has passed (every 5 minutes)."""
    return services.eligibility_retry_due()
