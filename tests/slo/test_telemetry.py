"""The telemetry middleware and its bulk, additive flush (also from two real processes)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Sum

from slo.models import LE_INF, RequestBucket
from slo.telemetry import BUFFER, UNMATCHED, latency_bound_ms, status_class

ROOT = Path(__file__).resolve().parents[2]
MINUTE = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)

# Each process records 1,000 requests in 20 flushes (900 good, 100 × 503, ≤ 50 ms), then 7
# slow ones it leaves for the atexit flush.
WRITER = """
import os, sys, time
import django
django.setup()
from datetime import datetime
from slo.telemetry import BUFFER
minute, go = datetime.fromisoformat(sys.argv[1]), float(sys.argv[2])
while time.time() < go:
    time.sleep(0.005)
for _ in range(20):
    for i in range(50):
        BUFFER.record(minute, "ingest", "POST", 503 if i % 10 == 0 else 202, 0.03)
    BUFFER.flush()
for _ in range(7):
    BUFFER.record(minute, "ingest", "POST", 202, 0.3)
"""


@pytest.fixture
def buffer():
    BUFFER.drain()  # counts other tests' requests left behind
    yield BUFFER
    BUFFER.drain()


def test_status_classes_and_latency_buckets():
    assert [status_class(c) for c in (200, 302, 404, 429, 503)] == [
        "2xx",
        "3xx",
        "4xx",
        "429",
        "5xx",
    ]
    assert [latency_bound_ms(s) for s in (0.001, 0.1, 0.1001, 2.0, 60)] == [
        50,
        100,
        250,
        2000,
        LE_INF,
    ]


def test_requests_are_counted_by_route_template_and_flushed_in_bulk(client, buffer, db):
    for _ in range(3):
        client.get("/health")
    client.get("/no/such/page/12345")
    client.get("/another/unknown")
    assert RequestBucket.objects.count() == 0  # nothing written per request
    assert buffer.flush() >= 2
    rows = RequestBucket.objects.values_list("route", "method", "status_class").annotate(Sum("n"))
    assert ("health", "GET", "2xx", 3) in rows
    assert ("<unmatched>", "GET", "4xx", 2) in rows
    assert not RequestBucket.objects.filter(route__contains="12345").exists()
    assert UNMATCHED == "<unmatched>"


def test_a_second_flush_adds_to_the_same_minute(buffer, db):
    for _ in range(2):
        buffer.record(MINUTE, "ingest", "POST", 202, 0.2)
        buffer.flush()
    bucket = RequestBucket.objects.get(route="ingest")
    assert (bucket.n, bucket.le_ms, bucket.status_class) == (2, 250, "2xx")


def _database_for_subprocesses(tmp_path: Path) -> tuple[str, callable]:
    """DATABASE_URL the writers use, and how to read their counts back."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"

        def read():
            rows = RequestBucket.objects.filter(minute=MINUTE).values_list(
                "status_class", "le_ms", "n"
            )
            return sorted(rows)

        return url, read
    # pytest-django's SQLite test database lives in memory; give the writers a real file.
    path = tmp_path / "telemetry.sqlite3"
    url = f"sqlite:///{path}"
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    def read():
        with sqlite3.connect(path) as db:
            return sorted(db.execute("SELECT status_class, le_ms, n FROM slo_request_bucket"))

    return url, read


@pytest.mark.slow
def test_two_processes_writing_the_same_minute_lose_no_count(transactional_db, tmp_path):
    url, read = _database_for_subprocesses(tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "SIE_TELEMETRY_FLUSH_SECONDS": "3600"}
    go = time.time() + 2.5  # both start flushing at the same moment
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, MINUTE.isoformat(), str(go)], cwd=ROOT, env=env
        )
        for _ in range(2)
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0]
    assert read() == [("2xx", 50, 1800), ("2xx", 500, 14), ("5xx", 50, 200)]
