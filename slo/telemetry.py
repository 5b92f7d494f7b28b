"""Request telemetry: count requests per minute, route template, method, status class and
latency bucket in memory, and add them to slo_request_bucket in bulk.

No request writes to the database. A daemon thread flushes every SIE_TELEMETRY_FLUSH_SECONDS
and an atexit hook flushes the rest; the upsert adds (n = n + excluded.n), so any number of
processes and hosts can write the same minute. A failed flush keeps its counts for the next.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections import Counter
from datetime import datetime

import structlog
from django.conf import settings
from django.db import DatabaseError, connection

from ingestion.timegrain import floor_minute

from .buckets import db_time
from .models import LATENCY_BOUNDS_MS, LE_INF

log = structlog.get_logger(__name__)

UNMATCHED = "<unmatched>"  # never the raw path: label cardinality stays bounded
CHUNK = 500

Key = tuple[datetime, str, str, str, int]  # minute, route, method, status class, le_ms


def status_class(code: int, rate_limited: bool = False) -> str:
    # 429 is kept apart from other 4xx: the SIE turning work away (queue_full) is counted as
    # bad by the error-rate SLI. A customer over its own tier quota (429 rate_limited) is not
    # a failure of the service: it is a client error like any other 4xx.
    return "429" if code == 429 and not rate_limited else f"{code // 100}xx"


def latency_bound_ms(seconds: float) -> int:
    millis = seconds * 1000.0
    return next((bound for bound in LATENCY_BOUNDS_MS if millis <= bound), LE_INF)


def _upsert(rows: list[tuple[Key, int]]) -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            params: list[object] = []
            for (minute, route, method, klass, le_ms), n in chunk:
                params += [db_time(minute), route, method, klass, le_ms, n]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                "INSERT INTO slo_request_bucket (minute, route, method, status_class, le_ms, n) "
                f"VALUES {values} ON CONFLICT (minute, route, method, status_class, le_ms) "
                "DO UPDATE SET n = slo_request_bucket.n + excluded.n",
                params,
            )


class TelemetryBuffer:
    """The per-process aggregate; `record` is a dict increment under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[Key] = Counter()
        self._owner_pid: int | None = None

    def record(
        self, at: datetime, route: str, method: str, status: int, seconds: float,
        rate_limited: bool = False,
    ) -> None:
        klass = status_class(status, rate_limited)
        key = (floor_minute(at), route, method, klass, latency_bound_ms(seconds))
        with self._lock:
            if self._owner_pid != os.getpid():
                self._adopt_process()
            self._counts[key] += 1

    def _adopt_process(self) -> None:
        # First request in this process (or a fresh fork: the parent's counts are the
        # parent's to flush, so the child starts empty and runs its own flusher).
        self._owner_pid = os.getpid()
        self._counts.clear()
        interval = settings.SIE_TELEMETRY_FLUSH_SECONDS
        if interval > 0:
            thread = threading.Thread(
                target=self._flush_forever, args=(interval,), name="slo-telemetry", daemon=True
            )
            thread.start()
            atexit.register(self.flush)

    def drain(self) -> Counter[Key]:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return counts

    def flush(self) -> int:
        """Add the counts gathered so far to the database; returns the rows written."""
        counts = self.drain()
        if not counts:
            return 0
        try:
            _upsert(sorted(counts.items()))  # sorted: concurrent writers lock rows in one order
        except DatabaseError as exc:
            with self._lock:
                self._counts.update(counts)
            log.warning("telemetry flush failed; kept for the next one", error=str(exc))
            return 0
        return len(counts)

    def _flush_forever(self, interval: float) -> None:
        while True:
            time.sleep(interval)
            try:
                self.flush()
            except Exception:
                # A bug in one flush must not silence telemetry for the rest of the process.
                log.exception("telemetry flush crashed")
            finally:
                connection.close()  # this thread's own connection; back to the pool


# One per process. sie_site.middleware.RequestMetricsMiddleware times each request once and
# records it here and in the Prometheus metrics.
BUFFER = TelemetryBuffer()
