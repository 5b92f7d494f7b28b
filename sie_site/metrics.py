"""Prometheus metrics of SPEC §9, defined once; every process imports them from here.

Under gunicorn and Celery each process counts in its own memory-mapped files when
PROMETHEUS_MULTIPROC_DIR is set (prometheus_client's multiprocess mode); /metrics then
merges the files of every process. Without it (runserver, tests) the default registry is used.
The queue gauges are not here: they are read from the database at scrape time
(sie_site.exposition.QueueCollector), so they are right however many processes run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from prometheus_client import Counter, Histogram, multiprocess

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Bounds include the SLO thresholds (0.5 s, 2 s, 5 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "sie_http_requests_total", "HTTP requests by route template", ["method", "path", "status"]
)
HTTP_DURATION = Histogram(
    "sie_http_request_duration_seconds",
    "HTTP request duration",
    ["method", "path"],
    buckets=LATENCY_BUCKETS,
)
# 429 rate_limited answers (a customer over its tier quota, or an address guessing
# credentials): still in sie_http_requests_total{status="429"}, and counted here apart
# because they are not a failure of the service (queue_full 429s are). Same method and path
# labels as the request counter, so exported SLO rules can subtract one from the other.
RATE_LIMITED = Counter(
    "sie_rate_limited_total",
    "Requests answered 429 rate_limited (not an SLO error)",
    ["method", "path"],
)
JOB_DURATION = Histogram(
    "sie_job_processing_duration_seconds",
    "Background job duration",
    ["job_type"],
    buckets=LATENCY_BUCKETS,
)
JOB_FAILURES = Counter(
    "sie_job_failures_total", "Background job failures", ["job_type", "error_type"]
)
AI_REQUESTS = Counter("sie_ai_requests_total", "Remote AI model requests", ["model", "status"])

# prometheus_client names its files <kind>_<pid>.db (gauge files: gauge_<mode>_<pid>.db).
_FILE_PID = re.compile(r"_(\d+)\.db$")


def multiproc_dir() -> Path | None:
    """This process's metrics directory, or None outside multiprocess mode."""
    value = os.environ.get(MULTIPROC_DIR_ENV, "").strip()
    return Path(value) if value else None


def group_dirs(own: Path) -> list[Path]:
    """Every process group's directory: `own` and its siblings under one metrics root.

    Web (gunicorn) and each Celery worker get a subdirectory of one root, so a group can wipe
    its own files when it starts without deleting files another running group still writes.
    """
    siblings = [p for p in own.parent.iterdir() if p.is_dir()] if own.parent.is_dir() else []
    return sorted(set(siblings) | {own})


def metric_files(own: Path) -> list[str]:
    return [str(f) for d in group_dirs(own) for f in d.glob("*.db")]


def pids_with_files(own: Path) -> set[int]:
    return {int(m.group(1)) for f in metric_files(own) if (m := _FILE_PID.search(f))}


def reset_group_dir(path: Path) -> None:
    """Start a process group with an empty directory: old files belong to a previous run."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def mark_process_dead(pid: int) -> None:
    """Drop a dead process's live gauges; its counters stay so totals never go down."""
    path = multiproc_dir()
    if path is not None:
        multiprocess.mark_process_dead(pid, str(path))
