"""On PostgreSQL the database itself refuses UPDATE and DELETE on audit rows and field changes."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from frontdesk.audit.models import AuditEvent, FieldChange
from frontdesk.audit.services import Change, audit_record
from frontdesk.audit.tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "the append-only trigger exists on PostgreSQL only; SQLite relies on the hash chain"
        )


@pytest.fixture
def event():
    return audit_record(
        actor=make_staff("front_desk"),
        action="update",
        category="demographics",
        patient_id=77,
        object_type="patient",
        object_id=77,
        changes=[Change("preferred_name", "Old", "New")],
    )


def snapshot():
    return (
        list(
            AuditEvent.objects.order_by("sequence").values_list(
                "sequence", "actor_name", "row_hash"
            )
        ),
        list(FieldChange.objects.values_list("field", "old_value", "new_value")),
    )


def refused(statement):
    """Run ``statement`` in a savepoint and return the database's error message."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        statement()
    return str(caught.value)


def test_orm_update_and_delete_of_audit_rows_are_refused(event):
    plain = audit_record(actor=None, action="login-failed", category="security")
    before = snapshot()
    message = refused(lambda: AuditEvent.objects.filter(pk=plain.pk).delete())
    assert "audit log is append-only: DELETE on audit_auditevent refused" in message
    message = refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(actor_name="Edited"))
    assert "audit log is append-only: UPDATE on audit_auditevent refused" in message
    message = refused(lambda: AuditEvent.objects.filter(pk=event.pk)._raw_delete("default"))
    assert "audit log is append-only: DELETE on audit_auditevent refused" in message
    event.actor_name = "Edited via save"
    message = refused(lambda: event.save())
    assert "UPDATE on audit_auditevent refused" in message
    assert snapshot() == before


def test_raw_sql_update_and_delete_of_audit_rows_are_refused(event):
    before = snapshot()

    def run(sql):
        def statement():
            with connection.cursor() as cursor:
                cursor.execute(sql)

        return statement

    assert "UPDATE on audit_auditevent refused" in refused(
        run("UPDATE audit_auditevent SET outcome = 'failure'")
    )
    assert "DELETE on audit_auditevent refused" in refused(run("DELETE FROM audit_auditevent"))
    assert "UPDATE on audit_fieldchange refused" in refused(
        run("UPDATE audit_fieldchange SET new_value = 'x'")
    )
    assert "DELETE on audit_fieldchange refused" in refused(run("DELETE FROM audit_fieldchange"))
    assert snapshot() == before


def test_orm_update_and_delete_of_field_changes_are_refused(event):
    before = snapshot()
    change = FieldChange.objects.get()
    assert "UPDATE on audit_fieldchange refused" in refused(
        lambda: FieldChange.objects.filter(pk=change.pk).update(old_value="Forged")
    )
    assert "DELETE on audit_fieldchange refused" in refused(lambda: change.delete())
    assert snapshot() == before


def test_truncate_is_not_blocked_so_test_databases_can_be_flushed(event):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred FK check
        cursor.execute("TRUNCATE audit_fieldchange, audit_auditevent")
    assert snapshot() == ([], [])


def test_appending_still_works(event):
    second = audit_record(actor=None, action="login-failed", category="security")
    assert second.sequence == event.sequence + 1
