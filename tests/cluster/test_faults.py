"""Fault injection under a small load, on private PostgreSQL/Redis (never the shared ones).

Each test counts what the clients saw, prints what it measured (bench/RESULTS.md keeps a
summary) and asserts on the observable end state: every accepted mention is stored once and
enriched once (mention rows, distinct external ids and roll-up totals all agree).
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.conftest import requires_postgres
from tests.ingestion.fake_model_server import FakeModelServer
from tests.processes import wait_for

from .stack import Stack
from .traffic import Load, call

pytestmark = [requires_postgres, pytest.mark.slow]

REDIS_OUTAGE = float(os.environ.get("SIE_FAULT_REDIS_OUTAGE", "30"))
POSTGRES_OUTAGE = float(os.environ.get("SIE_FAULT_POSTGRES_OUTAGE", "10"))


def settle(stack: Stack, load: Load, timeout: float = 180) -> tuple[dict[str, int], float]:
    """Wait until every accepted mention is enriched; (final counts, seconds it took)."""
    started = time.monotonic()
    expected = len(load.accepted)

    def done() -> bool:
        counts = stack.counts()
        return counts["enriched"] >= expected and counts["enriched"] == counts["rows"]

    wait_for(done, timeout=timeout, every=1)
    return stack.counts(), time.monotonic() - started


def assert_nothing_lost_or_duplicated(stack: Stack, load: Load, counts: dict[str, int]) -> None:
    stored = stack.external_ids()
    assert load.accepted <= stored, f"lost: {sorted(load.accepted - stored)[:10]}"
    # Requests that failed may or may not have been stored before the failure; nothing else.
    assert counts["rows"] == counts["distinct"] == counts["enriched"], (counts, stack.logs())
    assert counts["rolled_up"] == counts["enriched"], counts


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(stack: Stack):
    with FakeModelServer() as model:
        # Every batch waits 1 s on the (fake) AI model, so a kill lands inside a task.
        model.mode, model.delay = "slow", 1.0
        # Short leases: the killed batch's rows become claimable again after 8 s, and Beat's
        # sweep wakes a worker for them (the pull model's recovery path).
        stack.extra_env.update(SIE_AI_URL=model.url, SIE_ENRICH_BATCH_SIZE="20",
                               SIE_ENRICH_LEASE_SECONDS="8", SIE_SWEEP_AFTER_SECONDS="5")
        key = stack.api_key()
        _, base = stack.web(workers=2)
        worker = stack.worker("-c", "1")
        stack.beat()
        load = Load(base, key, "acme", threads=2, interval=0.05).start()
        calls = model.calls
        assert wait_for(lambda: model.calls > calls, timeout=90), stack.logs()
        victims = stack.children(worker)
        for pid in victims:
            os.kill(pid, signal.SIGKILL)  # the pool process running the batch
        killed_at = time.monotonic()
        model.mode = "ok"  # the rest at full speed: the test is about the killed batch
        time.sleep(3)
        stack.worker("-c", "1")  # a second worker joins after the kill
        time.sleep(2)
        load.stop()
        counts, took = settle(stack, load)
    load.report("kill -9 worker")
    print(f"[kill -9 worker] killed pool pids {victims} mid-batch; all {counts['enriched']} "
          f"enriched {time.monotonic() - killed_at:.1f}s after the kill (settle {took:.1f}s); "
          f"counts {counts}")
    assert victims and set(load.seen) == {"202"}
    assert_nothing_lost_or_duplicated(stack, load, counts)


def test_redis_stopped_and_restarted_loses_nothing_accepted(stack: Stack):
    stack.extra_env.update(SIE_SWEEP_AFTER_SECONDS="5")
    key = stack.api_key()
    _, base = stack.web(workers=2)
    worker = stack.worker("-c", "1")
    stack.beat()
    load = Load(base, key, "acme", threads=2, interval=0.1).start()
    time.sleep(3)
    stack.redis.stop()
    during = Load(base, key, "acme", threads=1, interval=0.2, prefix="during").start()
    time.sleep(REDIS_OUTAGE)
    during.stop()
    stack.redis.start()  # empty: no persistence, every queued job is gone
    # Known defect (kombu's Redis transport): a worker that holds unacked messages when the
    # broker goes away can exit with "Unrecoverable error: AttributeError … 'hostname'" while
    # restoring them. Deployments run workers under a supervisor (systemd Restart=always,
    # Kubernetes), which this test stands in for; the exit is printed, never hidden.
    if worker.poll() is not None:
        print(f"[redis outage] worker exited (rc={worker.returncode}); restarted as a "
              "supervisor would")
        stack.worker("-c", "1")
    time.sleep(5)
    load.stop()
    load.accepted |= during.accepted
    counts, took = settle(stack, load)
    load.report("redis outage (whole run)")
    during.report(f"redis outage ({REDIS_OUTAGE:.0f}s, requests while down)")
    print(f"[redis outage] all {counts['enriched']} accepted enriched {took:.1f}s after the "
          f"load ended; counts {counts}")
    assert during.accepted, "ingestion kept accepting while the broker was down"
    assert_nothing_lost_or_duplicated(stack, load, counts)


def test_postgres_stopped_gives_503_with_retry_after_and_recovers_by_itself(stack: Stack):
    stack.extra_env.update(SIE_SWEEP_AFTER_SECONDS="5")
    key = stack.api_key()
    _, base = stack.web(workers=2)
    stack.worker("-c", "1")
    stack.beat()
    load = Load(base, key, "acme", threads=2, interval=0.1).start()
    time.sleep(3)
    stack.pg.stop()
    stopped_at = time.monotonic()
    time.sleep(POSTGRES_OUTAGE)
    stack.pg.start()
    restarted_at = time.monotonic()
    probe = {"project": "acme", "external_id": "probe", "text": "back?"}
    recovered = wait_for(lambda: call(f"{base}/ingest", probe, key)[0] == 202, timeout=60)
    recovery = time.monotonic() - restarted_at
    time.sleep(3)
    load.stop()
    load.accepted.add("probe")
    counts, took = settle(stack, load)
    load.report(f"postgres outage ({POSTGRES_OUTAGE:.0f}s)")
    print(f"[postgres outage] down {restarted_at - stopped_at:.1f}s; first 202 {recovery:.1f}s "
          f"after restart; all enriched {took:.1f}s after the load ended; counts {counts}")
    assert recovered
    assert "503" in load.seen and "500" not in load.seen, load.seen
    assert load.retry_after_missing == 0
    assert set(load.seen) <= {"202", "503"}, load.seen
    assert_nothing_lost_or_duplicated(stack, load, counts)
