"""Real processes for the observability tests: gunicorn, Celery workers, a fake OTLP collector.

They share a throw-away SIE_VAR_DIR with its own migrated SQLite file, so they run the same
whether the suite itself is on SQLite or PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.processes import ROOT, answers, free_port, http_get, wait_for

__all__ = ["free_port", "http_get", "wait_for"]  # re-exported for the observability tests



@dataclass
class Site:
    """A var dir with a migrated SQLite database and the environment its processes share."""

    var_dir: Path
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def spawn(self, args: list[str], log_name: str, **extra_env: str) -> subprocess.Popen:
        log = open(self.var_dir / log_name, "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            args, cwd=ROOT, env={**self.env, **extra_env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.var_dir / name).read_text()

    def gunicorn(self, workers: int, **extra_env: str) -> str:
        """Start `gunicorn -w N sie_site.wsgi` in the repository root, which reads the
        repo-root gunicorn.conf.py by itself; its base URL."""
        port = free_port()
        self.spawn(
            [sys.executable, "-m", "gunicorn", "-w", str(workers),
             "-b", f"127.0.0.1:{port}", "sie_site.wsgi"],
            "web.log",
            PROMETHEUS_MULTIPROC_DIR=str(self.var_dir / "metrics" / "web"),
            **extra_env,
        )
        base = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: answers(f"{base}/health")), self.log("web.log")[-3000:]
        return base

    def celery_worker(self, **extra_env: str) -> subprocess.Popen:
        return self.spawn(
            [sys.executable, "-m", "celery", "-A", "sie_site", "worker", "-P", "prefork", "-c",
             "1", "-l", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            "worker.log",
            PROMETHEUS_MULTIPROC_DIR=str(self.var_dir / "metrics" / "worker"),
            **extra_env,
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def make_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Site]]:
    """Sites live for a test module: booting gunicorn and Celery is the slow part."""
    sites: list[Site] = []

    def make(*, redis: bool = False) -> Site:
        tmp_path = tmp_path_factory.mktemp("site")
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update(SIE_VAR_DIR=str(tmp_path), DEBUG="false", PYTHONUNBUFFERED="1")
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if redis:
            env["REDIS_URL"] = os.environ["REDIS_URL"]
        site = Site(tmp_path, env)
        site.manage("migrate", "-v0")
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.stop()


class OtlpCollector:
    """A fake OTLP/HTTP trace collector: keeps every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str, str]] = []  # (service, span name, trace id hex)
        self.lock = threading.Lock()

    def receive(self, body: bytes) -> None:
        export = ExportTraceServiceRequest.FromString(body)
        with self.lock:
            for resource_spans in export.resource_spans:
                attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append((attrs.get("service.name", ""), span.name,
                                           span.trace_id.hex()))


@pytest.fixture(scope="module")
def otlp_collector_module() -> Iterator[tuple[OtlpCollector, str]]:
    collector = OtlpCollector()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/v1/traces":
                collector.receive(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield collector, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
