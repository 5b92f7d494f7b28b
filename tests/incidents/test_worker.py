"""A real `celery -A sie_site worker -Q alerting` process delivers the outbox; killed in the
middle of a send, the row is sent later, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from incidents import outbox
from incidents.models import OutboxEvent, OutboxStatus
from tests.conftest import requires_postgres, requires_redis
from tests.processes import celery_on_test_db, wait_for


def alerting_worker(fake_pd, monkeypatch, tmp_path):
    monkeypatch.setenv("PAGERDUTY_EVENTS_URL", fake_pd.url)
    monkeypatch.setenv("PAGERDUTY_CA_BUNDLE", fake_pd.ca_bundle)
    monkeypatch.setenv("PAGERDUTY_LEASE_SECONDS", "60")
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # our own db number only
    return celery_on_test_db(
        "worker",
        "-Q",
        "alerting",
        "-P",
        "solo",
        "-c",
        "1",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        var_dir=tmp_path,
    )


@requires_postgres
@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_pages_right_after_the_commit(fake_pd, fire, monkeypatch, tmp_path):
    worker = alerting_worker(fake_pd, monkeypatch, tmp_path)
    try:
        fire("am-1")  # commits; the outbox row wakes the worker through the broker
        delivered = wait_for(lambda: fake_pd.actions() == [("trigger", "am-1")], timeout=90)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert delivered, output[-3000:]
    assert OutboxEvent.objects.get().status == OutboxStatus.SENT


@requires_postgres
@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_leaves_the_row_to_be_sent_later_once(
    fake_pd, fire, monkeypatch, tmp_path
):
    fake_pd.answer = "hang"  # PagerDuty holds the request: the worker is mid-send
    worker = alerting_worker(fake_pd, monkeypatch, tmp_path)
    try:
        fire("am-1")
        assert wait_for(lambda: len(fake_pd.received) == 1, timeout=90), "worker never sent"
    finally:
        worker.kill()
        output = worker.communicate(timeout=30)[0]
    fake_pd.answer = 202
    fake_pd.release.set()
    row = OutboxEvent.objects.get()
    assert row.status == OutboxStatus.SENDING and row.attempts == 1, output[-3000:]
    assert outbox.deliver_due() == 0  # its lease still holds: nobody else may send it
    assert outbox.deliver_due(timezone.now() + timedelta(seconds=90)) == 1
    assert outbox.deliver_due(timezone.now() + timedelta(minutes=10)) == 0
    assert fake_pd.actions() == [("trigger", "am-1")]
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.attempts == 2
