"""The very first audit rows of a fresh install, written concurrently, all land (PostgreSQL).

Before any row exists there is no chain head to lock; writers that all find none must still end up
serialised on one head, each with its own sequence number, rather than fail on a duplicate sequence.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections

from frontdesk.audit import chain
from frontdesk.audit.models import AuditChainHead, AuditEvent
from frontdesk.audit.services import audit_record

WRITERS = 6

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers at BEGIN IMMEDIATE; the race needs PostgreSQL",
)


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_audit_rows_all_commit_gaplessly(monkeypatch: Any) -> None:
    assert AuditChainHead.objects.count() == 0
    original = chain.row_hash

    def slow_row_hash(key: bytes, values: dict[str, Any]) -> str:
        time.sleep(0.2)  # every writer has looked for the head before any of them appends
        return original(key, values)

    monkeypatch.setattr(chain, "row_hash", slow_row_hash)
    start = threading.Barrier(WRITERS)
    failures: list[str] = []

    def write(n: int) -> None:
        try:
            start.wait()
            audit_record(actor=None, action="read", category="audit", object_id=n)
        except Exception as exc:  # any failure is collected and asserted below
            failures.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(AuditEvent.objects.values_list("sequence", flat=True)) == list(
        range(1, WRITERS + 1)
    )
    assert chain.row_hash is slow_row_hash
    assert AuditChainHead.objects.get().last_sequence == WRITERS
