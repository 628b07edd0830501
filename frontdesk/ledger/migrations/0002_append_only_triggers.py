"""Ledger entries and allocations are append-only inside PostgreSQL: UPDATE and DELETE raise.

The services never change or delete an entry (corrections are reversal entries); the trigger makes the
database refuse too, so neither a bug nor a stray ORM call can rewrite money history. As with the audit
log, TRUNCATE is not blocked (test databases are flushed with it). Posting into a closed day is refused
by the services under the day row's lock rather than by a trigger, so that a restore (which inserts
rows in whatever order pg_restore picks) is never refused.
"""

from typing import Any

from django.db import migrations

FUNCTION = "ledger_refuse_change"
TRIGGERS = (
    ("ledger_ledgerentry", "ledger_ledgerentry_append_only"),
    ("ledger_allocation", "ledger_allocation_append_only"),
)


def create_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
        END;
        $$
        """,
        params=None,
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
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
