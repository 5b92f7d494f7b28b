"""Seed the hourly mention-retention run into Beat's schedule (editable in admin afterwards)."""

from __future__ import annotations

from django.db import migrations

from sie_site import beat_schedule

NAME = "ingestion: delete mentions past retention"


def seed(apps, schema_editor):
    beat_schedule.seed_interval(apps, NAME, "ingestion.delete_expired_mentions", 3600)


def unseed(apps, schema_editor):
    beat_schedule.unseed(apps, NAME)


class Migration(migrations.Migration):
    # Re-chained after 0004 (the enrichment rewrite) at merge.
    dependencies = [("ingestion", "0004_mention_lease")]
    operations = [migrations.RunPython(seed, unseed)]
