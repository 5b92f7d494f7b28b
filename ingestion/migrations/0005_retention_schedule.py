"""Seed the hourly mention-retention run into Beat's schedule (editable in admin afterwards)."""

from __future__ import annotations

from django.db import migrations

NAME = "ingestion: delete mentions past retention"


def seed(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _ = IntervalSchedule.objects.get_or_create(every=3600, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": "ingestion.delete_expired_mentions", "interval": hourly}
    )


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    # Re-chained after 0004 (the enrichment rewrite) at merge.
    dependencies = [("ingestion", "0004_mention_lease")]
    operations = [migrations.RunPython(seed, unseed)]
