"""Helpers for the audit tests: typed factories and raw, DBA-style tampering."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.test import Client

from frontdesk.accounts.middleware import SESSION_LOGIN_AT
from frontdesk.accounts.models import User
from frontdesk.audit.models import AuditEvent
from tests.factories import UserFactory

TABLE = AuditEvent._meta.db_table


def logged_in_client(user: User) -> Client:
    """A client with a fresh staff session (the login time the automatic-logoff middleware reads)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_LOGIN_AT] = time.time()
    session.save()
    return client


def make_staff(role: str = "front_desk", **fields: Any) -> User:
    user: Any = UserFactory(role=role, **fields)
    return user


@contextlib.contextmanager
def tampering() -> Iterator[Any]:
    """A raw cursor with the append-only trigger out of the way, as a DBA with ALTER rights has it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's foreign keys are deferred; ALTER TABLE refuses while their checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_auditevent_append_only")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_auditevent_append_only")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
