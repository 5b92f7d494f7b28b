"""Seed the hourly pruning of SLI buckets and snapshots into Beat's schedule (it used to run
inside every evaluation tick; editable in admin afterwards)."""

from __future__ import annotations

from django.db import migrations

from sie_site import beat_schedule

NAME = "slo: prune buckets and snapshots"


class Migration(migrations.Migration):
    dependencies = [
        ("slo", "0005_sli_day"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: beat_schedule.seed_interval(apps, NAME, "slo.prune", 3600),
            lambda apps, schema_editor: beat_schedule.unseed(apps, NAME),
        )
    ]
