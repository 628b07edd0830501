"""PostgreSQL: a GIN index over each document version's text, for the chart's full-text search.

The expression is exactly the one ``review_selectors._version_matches`` searches
(``SearchVector("text", config="simple")``), so PostgreSQL answers a word search from the index
instead of building every version's vector. Other databases search with ``icontains`` and get no
index here.
"""

from __future__ import annotations

from django.db import migrations

INDEX = "documents_version_text_fts"


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON documents_documentversion "
        "USING gin (to_tsvector('simple'::regconfig, COALESCE(text, '')))"
    )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("documents", "0005_securelink")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
