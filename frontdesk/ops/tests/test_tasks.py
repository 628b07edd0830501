"""Background tasks run through both django-tasks backends: the database worker and RQ on Redis."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.base import TaskResultStatus

from frontdesk.audit.models import AuditEvent
from frontdesk.audit.services import audit_record
from frontdesk.ops.tasks import audit_chain_check, housekeeping


def _sessions(*, expired: int, live: int) -> None:
    for index in range(expired + live):
        store = SessionStore()
        store["n"] = index
        store.create()
        if index < expired:
            Session.objects.filter(pk=store.session_key).update(
                expire_date=timezone.now() - timedelta(minutes=1)
            )


def _audit_rows(count: int) -> None:
    for index in range(count):
        audit_record(
            actor=None,
            action="read",
            category="demographics",
            patient_id=index + 1,
            object_type="patient",
            object_id=index + 1,
        )


@pytest.mark.django_db(transaction=True)
def test_database_backend_runs_enqueued_tasks():
    assert type(task_backends["default"]).__name__ == "DatabaseBackend"
    _sessions(expired=3, live=2)
    _audit_rows(4)

    cleanup = housekeeping.enqueue()
    check = audit_chain_check.enqueue()
    assert cleanup.status == TaskResultStatus.READY
    assert Session.objects.count() == 5  # nothing runs until a worker picks it up

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    cleanup.refresh()
    check.refresh()
    assert cleanup.status == TaskResultStatus.SUCCESSFUL
    assert cleanup.return_value == {"expired_sessions_deleted": 3}
    assert Session.objects.count() == 2
    assert check.status == TaskResultStatus.SUCCESSFUL
    assert check.return_value == {
        "intact": True,
        "rows": 4,
        "head_sequence": 4,
        "head_hash": AuditEvent.objects.get(sequence=4).row_hash,
        "first_bad_sequence": None,
        "problem": "",
    }
    recorded = AuditEvent.objects.get(sequence=5)
    assert recorded.category == "audit"
    assert recorded.outcome == "success"
    assert recorded.detail == {
        "check": "audit_chain",
        "intact": True,
        "rows": 4,
        "first_bad_sequence": None,
    }


@pytest.mark.django_db(transaction=True)
def test_chain_check_task_records_a_broken_chain():
    _audit_rows(3)
    # Tamper with row 2 the way a DBA with ALTER rights could: on PostgreSQL the append-only trigger
    # has to be switched off first.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        try:
            cursor.execute("UPDATE audit_auditevent SET object_id = '999' WHERE sequence = 2")
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")

    result = audit_chain_check.enqueue()
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    value = result.return_value
    assert value is not None
    assert (value["intact"], value["first_bad_sequence"]) == (False, 2)
    assert value["problem"].endswith("the row's content does not match its hash")
    assert AuditEvent.objects.get(sequence=4).outcome == "failure"


REDIS_URL = os.environ.get("FRONTDESK_TEST_REDIS_URL", "").strip()


@pytest.mark.redis
@pytest.mark.skipif(
    not REDIS_URL,
    reason="RQ backend test needs Redis: set FRONTDESK_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/14)",
)
@pytest.mark.django_db(transaction=True)
def test_rq_backend_runs_enqueued_tasks(settings):
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    queue_name = f"frontdesk-test-{uuid.uuid4().hex[:10]}"
    # django-tasks-rq fetches results through the "default" connection, so configure both.
    settings.RQ_QUEUES = {
        "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60},
        queue_name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60},
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue_name]}}
    queue = django_rq.get_queue(queue_name, job_class=Job)
    job_ids: list[str] = []
    try:
        assert type(task_backends["default"]).__name__ == "RQBackend"
        _sessions(expired=2, live=1)
        _audit_rows(2)

        cleanup = housekeeping.using(queue_name=queue_name).enqueue()
        check = audit_chain_check.using(queue_name=queue_name).enqueue()
        job_ids += [cleanup.id, check.id]
        assert queue.count == 2
        assert Session.objects.count() == 3

        # A burst worker in this process (SimpleWorker does not fork): runs what is queued, then stops.
        worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
        worker.work(burst=True)

        cleanup.refresh()
        check.refresh()
        assert cleanup.status == TaskResultStatus.SUCCESSFUL
        assert cleanup.return_value == {"expired_sessions_deleted": 2}
        assert Session.objects.count() == 1
        assert check.status == TaskResultStatus.SUCCESSFUL
        value = check.return_value
        assert value is not None
        assert (value["intact"], value["rows"], value["head_sequence"]) == (True, 2, 2)
        assert AuditEvent.objects.filter(category="audit").count() == 1
        assert queue.count == 0
    finally:
        queue.empty()
        keys = [*queue.connection.scan_iter(f"rq:*{queue_name}*")]
        keys += [f"rq:{kind}:{job_id}" for job_id in job_ids for kind in ("job", "results")]
        queue.connection.delete(*keys)


@pytest.mark.redis
@pytest.mark.skipif(
    not REDIS_URL,
    reason="RQ backend test needs Redis: set FRONTDESK_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/14)",
)
@pytest.mark.django_db(transaction=True)
def test_worker_command_uses_rq_when_redis_is_configured(settings):
    import django_rq

    queue_name = f"frontdesk-test-{uuid.uuid4().hex[:10]}"
    settings.REDIS_URL = REDIS_URL
    settings.RQ_QUEUES = {
        "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60},
        queue_name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60},
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": [queue_name]}}
    queue = django_rq.get_queue(queue_name)
    result = None
    try:
        _sessions(expired=1, live=0)
        result = housekeeping.using(queue_name=queue_name).enqueue()

        call_command("worker", "--batch", verbosity=0)

        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL
        assert result.return_value == {"expired_sessions_deleted": 1}
        if connection.vendor == "postgresql":
            # rqworker forks a work horse per job; only a server database sees the child's writes
            # (the SQLite test database lives in this process's memory).
            assert Session.objects.count() == 0
    finally:
        queue.empty()
        keys = [*queue.connection.scan_iter(f"rq:*{queue_name}*")]
        if result is not None:
            keys += [f"rq:job:{result.id}", f"rq:results:{result.id}"]
        queue.connection.delete(*keys)
