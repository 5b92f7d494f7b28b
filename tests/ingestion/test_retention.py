"""Mentions past the retention period are deleted in bounded batches; roll-ups and pending stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ingestion.models import HourlyRollup, Mention, MentionStatus
from ingestion.retention import delete_expired
from sie_site.celery import app as celery_app

NOW = timezone.now()


@pytest.fixture
def aged(tenant, settings):
    """60 mentions received 500..441 days ago (oldest first, like real ids), 10 of them
    still pending, then 20 received in the last 20 days."""
    settings.SIE_MENTION_RETENTION_DAYS = 395
    rows = []
    for n in range(80):
        received = NOW - timedelta(days=500 - n) if n < 60 else NOW - timedelta(days=80 - n)
        status = MentionStatus.PENDING if n % 6 == 0 and n < 60 else MentionStatus.ENRICHED
        rows.append(Mention(project=tenant.project, external_id=f"e{n}", text="t",
                            received_at=received, occurred_at=received, status=status))
    Mention.objects.bulk_create(rows)
    HourlyRollup.objects.create(project=tenant.project, bucket=NOW - timedelta(days=450), count=50)
    return tenant


def test_mentions_older_than_the_retention_period_are_deleted_except_pending(aged):
    run = delete_expired(now=NOW, batch_size=7)
    assert run.finished and run.deleted == 50
    assert Mention.objects.filter(received_at__lt=NOW - timedelta(days=395)).count() == 10
    assert set(Mention.objects.filter(received_at__lt=NOW - timedelta(days=395))
               .values_list("status", flat=True)) == {MentionStatus.PENDING}
    assert Mention.objects.filter(received_at__gte=NOW - timedelta(days=395)).count() == 20
    # The aggregates outlive the rows they were computed from.
    assert HourlyRollup.objects.get().count == 50


def test_one_run_stops_at_its_batch_limit_and_the_next_run_carries_on(aged):
    first = delete_expired(now=NOW, batch_size=10, max_batches=2)
    assert (first.deleted, first.batches, first.finished) == (16, 2, False)
    second = delete_expired(now=NOW, batch_size=10, max_batches=100)
    assert second.finished and first.deleted + second.deleted == 50


def test_retention_zero_keeps_everything(aged, settings):
    settings.SIE_MENTION_RETENTION_DAYS = 0
    assert delete_expired(now=NOW).deleted == 0
    assert Mention.objects.count() == 80


@pytest.mark.django_db
def test_beat_runs_retention_hourly_through_a_registered_task():
    task = PeriodicTask.objects.get(task="ingestion.delete_expired_mentions")
    assert task.interval.every == 3600 and task.interval.period == "seconds"
    assert "ingestion.delete_expired_mentions" in celery_app.tasks
