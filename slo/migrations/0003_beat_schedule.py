"""Seed the every-minute SLO evaluation into Beat's schedule (editable in admin afterwards)."""

from __future__ import annotations

from django.db import migrations

from sie_site import beat_schedule

TASK_NAME = "slo: evaluate all SLOs"


def seed(apps, schema_editor):
    beat_schedule.seed_interval(apps, TASK_NAME, "slo.evaluate_slos", 60)


def unseed(apps, schema_editor):
    beat_schedule.unseed(apps, TASK_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("slo", "0002_sie_slos"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
