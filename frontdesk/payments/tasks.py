"""Background tasks of payments (django-tasks): thin wrappers around one service each."""

from __future__ import annotations

from django_tasks import task

from frontdesk.payments.services import payment_reconcile


@task()
def payments_reconcile() -> dict[str, int]:
    """Finish pending card payments against the processor (every 5 minutes)."""
    return payment_reconcile()
