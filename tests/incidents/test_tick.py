"""The Beat entry incidents.tick: SLO snapshots first, then the alert rules that read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from incidents.models import Alert, AlertState
from incidents.tasks import tick_task
from ingestion.timegrain import floor_minute
from slo.models import Snapshot

from .conftest import push

pytestmark = pytest.mark.django_db


def test_the_seeded_beat_entry_runs_the_incidents_tick_on_the_alerting_queue():
    task = PeriodicTask.objects.get(name="slo: evaluate all SLOs")
    assert (task.task, task.queue, task.enabled) == ("incidents.tick", "alerting", True)
    assert tick_task.queue == "alerting"


def test_one_tick_writes_the_snapshot_and_fires_the_burn_rate_alert(make_slo):
    now = floor_minute(timezone.now())
    slo = make_slo()
    push(slo, now - timedelta(minutes=70), now, good=980, total=1000)
    tick_task.apply()
    assert Snapshot.objects.filter(slo=slo, evaluated_at__gte=now).exists()
    alert = Alert.objects.get(rule__slo=slo, key__endswith="/page")
    assert alert.state == AlertState.FIRING and alert.incident.paged
