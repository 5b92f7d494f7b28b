"""Two API instances behind nginx (the `make cluster` config): killing one loses no client
request beyond those in flight on it, and nothing accepted is lost or stored twice."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from sie_site.cluster import nginx_binary, nginx_config, start_nginx
from tests.conftest import requires_postgres
from tests.processes import answers, free_port, wait_for

from .stack import Stack
from .traffic import Load

pytestmark = [requires_postgres, pytest.mark.slow]
THREADS = 4


def test_the_generated_nginx_config_passes_nginx_t_with_passive_health_checks(tmp_path):
    config = tmp_path / "nginx.conf"
    config.write_text(nginx_config(18080, [18001, 18002], tmp_path))
    checked = subprocess.run(
        [nginx_binary(), "-t", "-c", str(config), "-p", str(tmp_path),
         "-e", str(tmp_path / "error.log")], capture_output=True, text=True,
    )
    assert checked.returncode == 0, checked.stderr
    text = config.read_text()
    assert text.count("max_fails=2 fail_timeout=5s") == 2
    assert "proxy_next_upstream error timeout http_502 non_idempotent" in text


def test_killing_one_instance_behind_nginx_costs_at_most_the_requests_in_flight(stack: Stack):
    key = stack.api_key()
    first, _ = stack.web(workers=1)
    stack.web(workers=1)
    ports = [int(a.split(":")[-1]) for a in (p.args[-1] for p in stack.processes)]
    directory = Path(tempfile.mkdtemp(prefix="sie-nginx-"))
    port = free_port()
    nginx = start_nginx(port, ports, directory)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: answers(f"{base}/health"), timeout=30), \
            (directory / "error.log").read_text()
        load = Load(base, key, "acme", threads=THREADS, interval=0.02).start()
        time.sleep(4)
        before = sum(load.seen.values())
        os.killpg(first.pid, signal.SIGKILL)  # the instance, master and workers
        time.sleep(6)
        load.stop()
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)
    failed = sum(n for outcome, n in load.seen.items() if outcome != "202")
    load.report("one of two instances killed behind nginx")
    print(f"[nginx] {before} requests before the kill, {sum(load.seen.values()) - before} after;"
          f" client errors {failed} (bound: {THREADS} in flight)")
    assert failed <= THREADS, load.seen
    assert sum(load.seen.values()) - before > 20, "traffic kept flowing on the survivor"
    stored = stack.external_ids()
    assert load.accepted <= stored
    rows = int(stack.psql("SELECT count(*) FROM ingestion_mention"))
    assert rows == len(stored)
