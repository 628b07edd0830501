"""Two people on the same part at once (PostgreSQL, real row locks): the second waits for the first
and is then told plainly that the part is done."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction

from frontdesk.accounts.choices import Role
from frontdesk.core.errors import ValidationFailed
from frontdesk.documents import review_services as rs
from frontdesk.documents.models import InboxSegment
from frontdesk.documents.tests.review_samples import review_item, segment

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def test_the_second_person_waits_for_the_lock_then_gets_a_clear_error(make_user, location):  # type: ignore[no-untyped-def]
    first = make_user(Role.FRONT_DESK, location)
    second = make_user(Role.FRONT_DESK, location)
    part = segment(review_item(location))
    locked = threading.Event()
    outcome: dict[str, Any] = {}

    def first_person() -> None:
        try:
            with transaction.atomic():
                rs.segment_delete(actor=first, segment_id=part.pk)
                locked.set()
                time.sleep(0.5)  # still holding the part's row
                outcome["first_committed_at"] = time.monotonic()
        finally:
            connections.close_all()

    def second_person() -> None:
        locked.wait(5)
        try:
            rs.segment_update(actor=second, segment_id=part.pk, title="Zz mine")
        except ValidationFailed as exc:
            outcome["error"] = (exc.code, exc.message)
            outcome["second_answered_at"] = time.monotonic()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first_person), threading.Thread(target=second_person)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)

    assert outcome["error"] == ("deleted", "This part was deleted; it cannot be changed.")
    assert outcome["second_answered_at"] >= outcome["first_committed_at"]
    assert InboxSegment.objects.get(pk=part.pk).title == ""
