"""Background tasks of the clearinghouse (django-tasks): thin wrappers around one service each."""

from __future__ import annotations

from django_tasks import task

from frontdesk.clearinghouse.services import inbox_poll


@task()
def clearinghouse_inbox_poll() -> dict[str, int]:
    """Collect and dispatch what waits in the clearinghouse inbox (every 5 minutes)."""
    exchanges = inbox_poll(actor=None)
    return {
        "collected": len(exchanges),
        "processed": sum(1 for e in exchanges if e.status == "processed"),
        "errors": sum(1 for e in exchanges if e.status == "error"),
    }
