"""Background tasks (django-tasks): the database worker in embedded mode, RQ workers with Redis.

Tasks are thin: they call one service and return a JSON-serialisable summary. Enqueue them from
services with ``transaction.on_commit(lambda: housekeeping.enqueue())``.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from frontdesk.ops.services import audit_chain_check_record, sessions_purge_expired


@task()
def housekeeping() -> dict[str, int]:
    """Delete expired sessions (logged-out and timed-out staff sessions leave rows behind)."""
    return {"expired_sessions_deleted": sessions_purge_expired()}


@task()
def audit_chain_check() -> dict[str, Any]:
    """Verify the audit hash chain and record the result in the audit log."""
    return audit_chain_check_record().as_dict()
