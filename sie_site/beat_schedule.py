"""Seeding Celery Beat entries from data migrations (django-celery-beat's models, taken from
the migration's app registry so a migration keeps working as the models change)."""

from __future__ import annotations

from typing import Any


def seed_interval(apps: Any, name: str, task: str, seconds: int) -> None:
    """A periodic task running `task` every `seconds`, unless one of that name exists
    (an operator's edits in admin are kept)."""
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
    PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": every})


def unseed(apps: Any, name: str) -> None:
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()
