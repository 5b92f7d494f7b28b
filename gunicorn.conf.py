"""gunicorn settings, read from the working directory: `gunicorn sie_site.wsgi` run from the
repository root picks this file up by itself (elsewhere: `-c /path/to/gunicorn.conf.py`).
Command-line flags (`-w 8`, `-b …`) still override what is set here.

Metrics: every worker writes prometheus_client's multiprocess files under
PROMETHEUS_MULTIPROC_DIR (default: <SIE_VAR_DIR>/metrics/web), which /metrics merges with
the Celery workers' sibling directories. The master empties the directory when it starts
and drops a dead worker's live gauges; its counters stay so totals never go down. A gunicorn
started without this file has no such directory, and /metrics then refuses to answer rather
than report one worker's numbers as the totals.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_var_dir = Path(os.environ.get("SIE_VAR_DIR", Path(__file__).resolve().parent / "var"))
# Set before any worker imports prometheus_client: it picks its storage at import time.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_var_dir / "metrics" / "web"))
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

from prometheus_client import multiprocess  # noqa: E402  (needs the variable above)


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"{name}={raw!r} must be a positive integer")
    return int(raw)


# The SIE plan's worker budget (SIE_MAX_WORKERS, 4 by default), sync workers.
workers = _positive_int("SIE_MAX_WORKERS", 4)
timeout = 30
# On SIGTERM (deploys, restarts) workers finish the requests in flight for up to 30 s.
graceful_timeout = 30
# Recycle each worker after ~1000 requests so slow leaks never reach the memory budget; the
# jitter keeps workers from all restarting at the same moment.
max_requests = 1000
max_requests_jitter = 100
# One control socket per var dir: the default (~/.gunicorn) is shared by every instance.
control_socket = str(_var_dir / "gunicorn.ctl")
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# django-structlog writes one JSON line per request; gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"


def on_starting(server: Any) -> None:
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in METRICS_DIR.glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    multiprocess.mark_process_dead(worker.pid, str(METRICS_DIR))
