"""Seed the pending-mention sweeper into Beat's schedule (editable in admin afterwards)."""

from __future__ import annotations

from django.db import migrations


def seed(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.get_or_create(
        name="ingestion: sweep pending mentions",
        defaults={"task": "ingestion.sweep_pending", "interval": every_minute},
    )


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name="ingestion: sweep pending mentions"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ingestion", "0002_mention_text_fts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
