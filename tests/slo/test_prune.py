"""Pruning runs as the hourly `slo.prune` task, out of the every-minute tick: the tick keeps
every row, the task drops minutes past 3 days + 2 h and snapshots past their retention."""

from __future__ import annotations

from datetime import timedelta

from django_celery_beat.models import PeriodicTask

from slo import evaluation
from slo.models import SLIHour, SLIMinute, Snapshot
from slo.tasks import prune_task

from .conftest import AT, fill


def test_the_tick_keeps_old_minutes_and_the_hourly_task_prunes_them(make_slo):
    slo = make_slo()
    fill(slo, [(AT - timedelta(days=5), 1, 1), (AT - timedelta(days=1), 1, 1)])
    evaluation.evaluate_all(AT - timedelta(days=15))  # a snapshot past the 14-day retention
    evaluation.evaluate_all(AT)
    assert SLIMinute.objects.filter(slo=slo).count() == 2
    prune_task.apply(kwargs={}).get()  # in this process, as a worker would run it; now = 2026
    assert not SLIMinute.objects.filter(slo=slo).exists()
    assert not SLIHour.objects.filter(slo=slo).exists()  # 2025 is long past 35 days
    assert not Snapshot.objects.filter(slo=slo).exists()


def test_prune_as_of_a_moment_keeps_what_its_windows_still_read(make_slo):
    slo = make_slo()
    fill(slo, [(AT - timedelta(days=5), 1, 1), (AT - timedelta(days=1), 1, 1)])
    evaluation.evaluate_all(AT - timedelta(days=15, minutes=1))  # per-minute, past 14 days
    evaluation.evaluate_all(AT - timedelta(days=15, minutes=37))  # on the hour: kept 35 days
    evaluation.prune(AT)
    assert list(SLIMinute.objects.filter(slo=slo).values_list("minute", flat=True)) == [
        AT - timedelta(days=1)
    ]
    assert SLIHour.objects.filter(slo=slo).count() == 2
    assert list(Snapshot.objects.filter(slo=slo).values_list("evaluated_at", flat=True)) == [
        AT - timedelta(days=15, minutes=37)
    ]


def test_beat_runs_the_prune_hourly(db):
    task = PeriodicTask.objects.get(task="slo.prune")
    assert task.enabled and task.interval.every == 3600 and task.interval.period == "seconds"
