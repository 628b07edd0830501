"""The disclosure log is append-only inside PostgreSQL: UPDATE and DELETE raise.

The services only ever insert; the trigger makes the database refuse too, so neither a bug nor a stray
ORM call can rewrite the accounting of disclosures. As with the audit log and the ledger, TRUNCATE is
not blocked (test databases are flushed with it).
"""

from typing import Any

from django.db import migrations

FUNCTION = "disclosures_refuse_change"
TRIGGERS = (("disclosures_disclosure", "disclosures_disclosure_append_only"),)


def create_triggers(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the disclosure log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
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
    dependencies = [("disclosures", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
