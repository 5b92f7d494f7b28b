"""A GIN full-text index on PostgreSQL only; SQLite searches with a substring match instead.

The expression is written out here rather than imported from runbooks.models so this
migration never changes after the fact; tests/runbooks check that the search still uses it.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX = GinIndex(
    SearchVector("title", weight="A", config="english")
    + SearchVector("tags", weight="B", config="english")
    + SearchVector("body", weight="C", config="english"),
    name="runbook_search_fts",
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("runbooks", "Runbook"), INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("runbooks", "Runbook"), INDEX)


class Migration(migrations.Migration):
    dependencies = [("runbooks", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
