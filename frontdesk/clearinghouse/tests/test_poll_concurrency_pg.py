"""Two pollers collecting the same inbox at once record each file once (PostgreSQL: real concurrent
transactions; the partial unique constraint on the inbound SHA-256 decides)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from frontdesk.clearinghouse import handlers
from frontdesk.clearinghouse.models import Exchange
from frontdesk.clearinghouse.services import inbox_poll
from frontdesk.clearinghouse.tests.samples import tiny_835, tiny_999

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL concurrency"),
]


def test_two_polls_at_once_record_each_file_once(drop_box):
    calls: list[int] = []
    handlers.register_handler("835", lambda exchange: calls.append(exchange.pk))
    inbox = drop_box / "inbox"
    inbox.mkdir(parents=True)
    for n in range(5):
        (inbox / f"r{n}.835").write_text(tiny_835(400 + n))
        (inbox / f"a{n}.999").write_text(tiny_999(300 + n))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def poll() -> None:
        try:
            start.wait()
            inbox_poll()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Exchange.objects.count() == 10
    assert Exchange.objects.filter(kind="835", status="processed").count() == 5
    assert sorted(calls) == sorted(set(calls)) and len(calls) == 5
    assert not [p for p in inbox.iterdir() if p.is_file()]
