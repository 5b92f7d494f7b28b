"""gunicorn settings: `gunicorn -c sie_site/gunicorn.conf.py sie_site.wsgi`.

Metrics: every worker writes prometheus_client's multiprocess files under
PROMETHEUS_MULTIPROC_DIR (default: <SIE_VAR_DIR>/metrics/web), which /metrics merges with
the Celery workers' sibling directories. The master empties the directory when it starts
and drops a dead worker's live gauges; its counters stay so totals never go down.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_var_dir = Path(os.environ.get("SIE_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
# Set before any worker imports prometheus_client: it picks its storage at import time.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_var_dir / "metrics" / "web"))
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])

from prometheus_client import multiprocess  # noqa: E402  (needs the variable above)

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
