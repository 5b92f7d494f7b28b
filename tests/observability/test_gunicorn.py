"""A real `gunicorn -w 2` serves /metrics whose totals count every worker's requests."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .conftest import http_get, wait_for

pytestmark = pytest.mark.slow

HEALTH = dict(name="sie_http_requests_total", method="GET", path="health", status="200")


def families(base: str) -> dict:
    status, body = http_get(f"{base}/metrics")
    assert status == 200, body
    return {f.name: f for f in text_string_to_metric_families(body)}


def total(family, name: str, **labels: str) -> float:
    return sum(
        s.value for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def worker_pids(scraped: dict) -> set[int]:
    rss = scraped["process_resident_memory_bytes"].samples
    return {int(s.labels["pid"]) for s in rss}


def hit_health(base: str, count: int) -> None:
    # Fresh connections from 8 threads, so both sync workers take a share.
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: http_get(f"{base}/health")[0], range(count)))
    assert statuses == [200] * count


@pytest.fixture(scope="module")
def base(make_site) -> str:
    return make_site().gunicorn(workers=2)


def test_two_workers_report_the_exact_request_count(base):
    before = families(base)  # the start-up probe already asked for /health once
    # On a busy machine one sync worker can win every accept() for a while: send rounds of
    # requests until both workers have served some, so the total really spans two processes.
    sent = 0
    while sent < 400:
        hit_health(base, 40)
        sent += 40
        scraped = families(base)
        if len(worker_pids(scraped)) == 2:
            break
    requests, durations = "sie_http_requests", "sie_http_request_duration_seconds"
    count = dict(name="sie_http_request_duration_seconds_count", method="GET", path="health")
    assert total(scraped[requests], **HEALTH) - total(before[requests], **HEALTH) == sent
    assert total(scraped[durations], **count) - total(before[durations], **count) == sent
    assert len(worker_pids(scraped)) == 2  # process metrics of both workers, by pid


def test_a_restarted_worker_loses_none_of_its_counts(base):
    before = total(families(base)["sie_http_requests"], **HEALTH)
    hit_health(base, 40)
    victim = max(worker_pids(families(base)))
    os.kill(victim, signal.SIGTERM)
    # gunicorn replaces it; the dead worker's counter file stays and is still summed.
    assert wait_for(lambda: victim not in worker_pids(families(base)), timeout=30)
    hit_health(base, 10)
    assert total(families(base)["sie_http_requests"], **HEALTH) - before == 50


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool not installed (.ci/run installs Debian's prometheus)")
def test_promtool_accepts_the_merged_exposition(base):
    hit_health(base, 5)
    body = http_get(f"{base}/metrics")[1]
    done = subprocess.run(["promtool", "check", "metrics"], input=body.encode(),
                          capture_output=True)
    assert done.returncode == 0, done.stdout + done.stderr
