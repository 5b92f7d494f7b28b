"""Celery Beat runs the SLO evaluation: real `celery beat` + `celery worker` processes
against Redis and the pytest PostgreSQL database."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest
import redis
from django.apps import apps
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from slo.models import Snapshot
from tests.conftest import requires_postgres, requires_redis
from tests.processes import celery_on_test_db, wait_for

TASK_NAME = "slo: evaluate all SLOs"


def test_the_migration_seeds_an_every_minute_evaluation(db):
    task = PeriodicTask.objects.get(name=TASK_NAME)
    # incidents migration 0002 repoints it at incidents.tick (SLOs, then alert rules)
    assert task.task in {"slo.evaluate_slos", "incidents.tick"} and task.enabled
    assert (task.interval.every, task.interval.period) == (60, "seconds")


@requires_postgres
@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_beat_and_a_worker_evaluate_the_slos(tmp_path):
    # A transactional test starts from flushed tables: seed the schedule as migration 0003
    # does, and mark it last run long ago so Beat sends it at once, not a minute later.
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "slo.evaluate_slos",
            "interval": every_minute,
            "enabled": True,
            "last_run_at": timezone.now() - timedelta(minutes=5),
        },
    )
    seed_sie_slos()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # our own db number only
    worker = celery_on_test_db(
        "worker", "-P", "solo", "-c", "1", "--without-gossip", "--without-mingle",
        "--without-heartbeat", var_dir=tmp_path,
    )
    beat = celery_on_test_db(
        "beat", "--max-interval", "2", "-s", str(tmp_path / "beat"), var_dir=tmp_path
    )
    try:
        evaluated = wait_for(lambda: Snapshot.objects.count() >= 5)
    finally:
        for process in (beat, worker):
            process.terminate()
        output = "".join(p.communicate(timeout=30)[0] for p in (beat, worker))
    assert evaluated, output[-4000:]
    names = set(Snapshot.objects.values_list("slo__name", flat=True))
    assert {"ingest-availability", "queue-lag"} <= names
    assert "slo.evaluate_slos" in output


def seed_sie_slos() -> None:
    """Migration 0002's data (flushed away by earlier transactional tests)."""
    import_module("slo.migrations.0002_sie_slos").seed(apps, None)
