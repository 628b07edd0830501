"""Make the audit log append-only inside PostgreSQL: UPDATE and DELETE on its rows raise an error.

The application never updates or deletes audit rows; the trigger makes the database itself refuse, so a
bug or a stray ORM call cannot rewrite history either. TRUNCATE is deliberately not blocked: test
databases are flushed with it, and a DBA able to TRUNCATE can also drop the trigger - the hash chain
(``frontdesk audit verify``) is what catches that. SQLite has no equivalent worth keeping in sync; the
chain covers it.
"""

from typing import Any

from django.db import migrations

FUNCTION = "audit_refuse_change"
TRIGGERS = (
    ("audit_auditevent", "audit_auditevent_append_only"),
    ("audit_fieldchange", "audit_fieldchange_append_only"),
)


def create_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
        END;
        $$
        """,
        params=None,  # the body's % are RAISE placeholders, not query parameters
    )
    for table, trigger in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, trigger in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
