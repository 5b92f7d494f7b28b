"""The repo-root gunicorn.conf.py, and /metrics when gunicorn runs without it (issue 10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import ROOT, answers, free_port, http_get, wait_for

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
READ_CONFIG = (
    "import json, runpy; c = runpy.run_path('gunicorn.conf.py'); print(json.dumps({k: c[k] for k"
    " in ('workers', 'graceful_timeout', 'max_requests', 'max_requests_jitter')}))"
)


def config(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", READ_CONFIG], cwd=ROOT, env={**os.environ, **env},
        capture_output=True, text=True, timeout=60,
    )


def test_workers_come_from_sie_max_workers_with_graceful_restarts_and_jitter(tmp_path):
    done = config(SIE_MAX_WORKERS="3", SIE_VAR_DIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    values = json.loads(done.stdout)
    assert values["workers"] == 3
    assert values["graceful_timeout"] > 0
    assert values["max_requests"] > 0 and 0 < values["max_requests_jitter"] < values["max_requests"]


def test_a_malformed_worker_count_stops_gunicorn_with_a_clear_message(tmp_path):
    done = config(SIE_MAX_WORKERS="many", SIE_VAR_DIR=str(tmp_path))
    assert done.returncode != 0 and "SIE_MAX_WORKERS" in done.stderr


@pytest.mark.slow
def test_gunicorn_started_without_the_config_refuses_to_report_per_worker_metrics(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(SIE_VAR_DIR=str(tmp_path), SIE_TELEMETRY_FLUSH_SECONDS="0")
    # Started outside the repository root, so gunicorn finds no gunicorn.conf.py.
    process = subprocess.Popen(
        [GUNICORN, "--chdir", str(ROOT), "-w", "2", "-b", f"127.0.0.1:{port}", "sie_site.wsgi"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: answers(f"{base}/health"), timeout=60)
        status, body = http_get(f"{base}/metrics")
        assert status == 503
        assert "gunicorn.conf.py" in json.loads(body)["error"]["message"]
    finally:
        process.terminate()
        process.wait(timeout=30)
