"""Seed the hourly pruning of SLI buckets and snapshots into Beat's schedule (it used to run
inside every evaluation tick; editable in admin afterwards)."""

from __future__ import annotations

from django.db import migrations

NAME = "slo: prune buckets and snapshots"


def seed(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    hourly, _ = IntervalSchedule.objects.get_or_create(every=3600, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": "slo.prune", "interval": hourly}
    )


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("slo", "0005_sli_day"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
