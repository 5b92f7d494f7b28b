"""Graceful shutdown: SIGTERM lets in-flight requests and the running batch finish; jobs a
worker held but had not run go back to the queue for the next worker (acks_late)."""

from __future__ import annotations

import signal
import threading
import time

import psycopg
import pytest

from sie_site.celery import app as celery_app
from tests.conftest import requires_postgres
from tests.ingestion.fake_model_server import FakeModelServer
from tests.processes import wait_for

from .stack import Stack
from .traffic import call

pytestmark = [requires_postgres, pytest.mark.slow]


def test_late_acks_and_requeue_on_a_lost_worker_are_configured():
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True


def test_sigterm_lets_an_in_flight_request_finish_before_gunicorn_exits(stack: Stack):
    key = stack.api_key()
    web, base = stack.web(workers=1)
    answer: dict = {}
    # The test holds a lock the ingest INSERT needs, so the request is provably in flight.
    with psycopg.connect(stack.pg.url(stack.database).replace("postgres://", "postgresql://"),
                         autocommit=False) as blocker:
        blocker.execute("LOCK TABLE ingestion_mention IN EXCLUSIVE MODE")
        body = {"project": "acme", "external_id": "inflight", "text": "hello"}
        request = threading.Thread(
            target=lambda: answer.update(status=call(f"{base}/ingest", body, key)[0])
        )
        request.start()
        time.sleep(1.5)
        web.send_signal(signal.SIGTERM)
        time.sleep(1.5)
        assert web.poll() is None, "gunicorn waits for the request"
        blocker.rollback()  # releases the lock
    request.join(timeout=30)
    web.wait(timeout=30)
    print(f"[graceful web] in-flight request answered {answer.get('status')} after SIGTERM")
    assert answer.get("status") == 202
    assert stack.psql("SELECT count(*) FROM ingestion_mention") == "1"


def test_sigterm_finishes_the_running_batch_and_returns_the_unstarted_ones(stack: Stack):
    with FakeModelServer() as model:
        model.mode, model.delay = "slow", 1.5
        stack.extra_env.update(SIE_AI_URL=model.url)
        key = stack.api_key()
        _, base = stack.web(workers=1)
        for n in range(6):  # six one-mention jobs
            body = {"project": "acme", "external_id": f"j{n}", "text": f"I love it {n}"}
            assert call(f"{base}/ingest", body, key)[0] == 202
        worker = stack.worker("-c", "1")
        assert wait_for(lambda: model.calls >= 1, timeout=90), stack.logs()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        after_stop = int(stack.psql(
            "SELECT count(*) FROM ingestion_mention WHERE status = 'enriched'"))
        model.mode = "ok"
        stack.worker("-c", "1")  # no Beat, no sweeper: only the returned jobs can do this
        done = wait_for(lambda: stack.counts()["enriched"] == 6, timeout=120)
    print(f"[graceful worker] {after_stop} enriched by the stopped worker (running batch "
          f"finished), the rest by the next worker from the returned messages")
    assert after_stop >= 1, "the running batch finished instead of being cut off"
    assert done, stack.logs()
    counts = stack.counts()
    assert counts["rolled_up"] == counts["enriched"] == 6
