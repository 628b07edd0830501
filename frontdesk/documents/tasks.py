"""Background tasks of the document inbox: thin wrappers around the services, run by the worker."""

from __future__ import annotations

from django_tasks import task

from frontdesk.documents import pipeline


@task()
def document_process(item_id: int) -> dict[str, object]:
    """Run or resume the pipeline on one inbox item (idempotent)."""
    item = pipeline.document_process(item_id=item_id)
    return {"status": item.status if item else "missing", "stage": item.stage if item else ""}


@task()
def documents_requeue_stalled() -> dict[str, int]:
    """Start again the items whose worker died mid-document (they resume where it stopped)."""
    stalled = pipeline.documents_stalled()
    for item_id in stalled:
        document_process.enqueue(item_id)
    return {"requeued": len(stalled)}


@task()
def documents_watch() -> int:
    """One pass over the watched folders; returns how many files were received (or recovered)."""
    from frontdesk.documents.intake.folder import folder_poll

    result = folder_poll()
    return len(result.received) + len(result.recovered)


@task()
def documents_fetch_mail() -> int:
    """One pass over the documents mailbox; returns how many messages were taken in."""
    from frontdesk.documents.intake.mail import mail_configured, mail_poll

    if not mail_configured():
        return 0
    return len(mail_poll().received)


@task()
def documents_sweep_blobs() -> dict[str, int]:
    """Delete stored blob files no row names, a day after they were written (daily)."""
    from frontdesk.documents.blobs import blob_sweep_orphans

    result = blob_sweep_orphans()
    return {"files_seen": result.files_seen, "removed": result.removed, "recent": result.recent}
