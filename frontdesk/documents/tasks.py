"""Background tasks of the document inbox (django-tasks): thin wrappers around services."""

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
