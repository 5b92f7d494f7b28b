"""The outbox delivers incident changes to a real TLS fake PagerDuty: once, in order."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from incidents import outbox, pagerduty
from incidents.models import OutboxEvent, OutboxStatus
from tests.conftest import requires_postgres

from .conftest import AT, ROUTING_KEY

pytestmark = pytest.mark.django_db


def test_a_trigger_reaches_pagerduty_over_tls_with_the_v2_fields(fake_pd, fire):
    incident = fire("am-1", severity="P1", details={"slo": "checkout/availability"})
    assert outbox.deliver_due(AT) == 1
    [event] = fake_pd.accepted
    assert event["routing_key"] == ROUTING_KEY and event["event_action"] == "trigger"
    assert event["dedup_key"] == incident.dedup_key == "am-1"
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["summary"] == "am-1 is broken"
    assert event["payload"]["component"] == "checkout"
    assert event["payload"]["custom_details"] == {"slo": "checkout/availability"}
    row = OutboxEvent.objects.get()
    assert row.status == OutboxStatus.SENT and row.response_status == 202 and row.attempts == 1


def test_recovery_sends_one_resolve_with_the_same_dedup_key_after_the_trigger(
    fake_pd, fire, recover
):
    fire("am-1", at=AT)
    assert recover("am-1", at=AT + timedelta(minutes=5))
    assert outbox.deliver_due(AT + timedelta(minutes=5)) == 2
    assert outbox.deliver_due(AT + timedelta(minutes=6)) == 0
    assert fake_pd.actions() == [("trigger", "am-1"), ("resolve", "am-1")]


def test_a_400_is_permanent_and_kept_with_the_response_body(fake_pd, fire):
    fake_pd.answer = 400
    fire("am-1")
    outbox.deliver_due(AT)
    outbox.deliver_due(AT + timedelta(hours=1))
    row = OutboxEvent.objects.get()
    assert row.status == OutboxStatus.DEAD and row.response_status == 400
    assert "invalid event" in row.response_body
    assert len(fake_pd.received) == 1


def test_a_429_is_retried_later_by_the_outbox_without_blocking_the_worker(fake_pd, fire):
    fake_pd.answer = 429
    fire("am-1")
    started = time.monotonic()
    outbox.deliver_due(AT)
    assert time.monotonic() - started < 5  # the client's own 429 loop would sleep forever
    row = OutboxEvent.objects.get()
    assert row.status == OutboxStatus.PENDING and row.response_status == 429
    assert row.next_attempt_at > AT and len(fake_pd.received) == 1
    fake_pd.answer = 202
    assert outbox.deliver_due(row.next_attempt_at) == 1
    assert fake_pd.actions() == [("trigger", "am-1")]


def test_pagerduty_down_for_an_hour_then_back_gets_every_event_once_in_order(
    fake_pd, fire, recover, pd_cert_dir, settings
):
    pagerduty.BREAKER.reset_timeout = 0.05
    keys = [f"am-{i}" for i in range(3)]
    for key in keys:
        fire(key, at=AT)
    recover("am-0", at=AT + timedelta(minutes=1))
    fake_pd.answer = 500
    port = int(fake_pd.url.rsplit(":", 1)[1])
    for minute in range(0, 60):
        if minute == 30:
            fake_pd.stop()  # the second half hour: connections refused
        outbox.deliver_due(AT + timedelta(minutes=minute))
        time.sleep(0.01)
    fake_pd.answer = 202
    fake_pd.start(pd_cert_dir, port=port)
    time.sleep(0.1)  # past the breaker's reset timeout: the next call is its trial
    for minute in range(61, 75):
        outbox.deliver_due(AT + timedelta(minutes=minute))
    assert sorted(fake_pd.actions()) == sorted(
        [("trigger", k) for k in keys] + [("resolve", "am-0")]
    )
    am0 = [a for a in fake_pd.actions() if a[1] == "am-0"]
    assert am0 == [("trigger", "am-0"), ("resolve", "am-0")]
    assert set(OutboxEvent.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    # back-off and the breaker: far fewer requests than one per row per simulated minute
    assert len(fake_pd.received) < 60 * 3


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_at_once_never_send_a_row_twice(fake_pd, fire):
    for i in range(12):
        fire(f"am-{i}")
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        try:
            outbox.deliver_due(AT)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(fake_pd.actions()) == sorted(("trigger", f"am-{i}") for i in range(12))
    assert len(fake_pd.received) == 12
    assert OutboxEvent.objects.filter(status=OutboxStatus.SENT, attempts=1).count() == 12
