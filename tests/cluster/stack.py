"""A whole SIE deployment on private services: its own database (from a migrated template on
a private PostgreSQL), its own redis-server, and the gunicorn/Celery processes a test starts."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import ROOT, answers, free_port, wait_for

from .services import PG_BIN, PrivatePostgres, PrivateRedis

TEMPLATE = "sie_template"
_numbers = itertools.count(1)


def migrate_template(pg: PrivatePostgres, var_dir: Path) -> None:
    pg.create_database(TEMPLATE)
    env = {**os.environ, "DATABASE_URL": pg.url(TEMPLATE), "SIE_VAR_DIR": str(var_dir)}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=300)


@dataclass
class Stack:
    pg: PrivatePostgres
    redis: PrivateRedis
    var_dir: Path
    database: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.database:
            self.database = f"sie_{os.getpid()}_{next(_numbers)}"
            subprocess.run(
                [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg.port),
                 "-U", "postgres", "-T", TEMPLATE, self.database],
                check=True, capture_output=True,
            )

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.pg.url(self.database),
            "REDIS_URL": self.redis.url(),
            "SIE_VAR_DIR": str(self.var_dir),
            "DEBUG": "false",
            "SIE_DB_POOL_TIMEOUT": "1",
            "SIE_DB_POOL_MIN": "0",
            **self.extra_env,
            **extra,
        }

    def manage(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env(),
                              check=True, capture_output=True, text=True, timeout=120)
        return done.stdout

    def api_key(self, customer: str = "acme", project: str = "acme") -> str:
        out = self.manage("createapikey", customer, "--tier", "enterprise", "--project", project)
        return out.strip().splitlines()[-1]

    def web(self, workers: int = 2, port: int | None = None) -> tuple[subprocess.Popen, str]:
        port = port or free_port()
        process = self._start(
            [str(Path(sys.executable).parent / "gunicorn"), "sie_site.wsgi", "-w", str(workers),
             "-b", f"127.0.0.1:{port}"],
        )
        base = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: answers(f"{base}/health"), timeout=60), "gunicorn did not start"
        return process, base

    def worker(self, *args: str) -> subprocess.Popen:
        return self._start([sys.executable, "-m", "celery", "-A", "sie_site", "worker",
                            "--without-gossip", "--without-mingle", "-l", "INFO", *args])

    def beat(self) -> subprocess.Popen:
        # Ingestion's periodic tasks (the pending sweeper) every 2 s instead of every minute,
        # as an operator could set in admin, so recovery shows within a bounded test.
        self.psql(
            "INSERT INTO django_celery_beat_intervalschedule (every, period) VALUES (2, 'seconds');"
            "UPDATE django_celery_beat_periodictask SET interval_id = (SELECT max(id) FROM"
            " django_celery_beat_intervalschedule WHERE every = 2) WHERE task LIKE 'ingestion.%'"
            " AND task <> 'ingestion.delete_expired_mentions';"
            "UPDATE django_celery_beat_periodictasks SET last_update = now();"
        )
        return self._start([sys.executable, "-m", "celery", "-A", "sie_site", "beat", "-l",
                            "INFO", "-s", str(self.var_dir / "beat-schedule")])

    def _start(self, argv: list[str]) -> subprocess.Popen:
        log = open(self.var_dir / f"proc-{len(self.processes)}.log", "wb")  # noqa: SIM115
        # A session of its own: a fault test can kill -9 an instance with all its children.
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env(), stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def children(self, process: subprocess.Popen) -> list[int]:
        done = subprocess.run(["ps", "-o", "pid=", "--ppid", str(process.pid)],
                              capture_output=True, text=True)
        return [int(pid) for pid in done.stdout.split()]

    def psql(self, sql: str) -> str:
        return self.pg.psql(self.database, sql)

    def counts(self) -> dict[str, int]:
        """Observable end state: rows by status, distinct external ids, roll-up total."""
        rows = self.psql(
            "SELECT count(*), count(DISTINCT external_id),"
            " count(*) FILTER (WHERE status = 'enriched'),"
            " (SELECT coalesce(sum(count), 0) FROM ingestion_hourlyrollup)"
            " FROM ingestion_mention"
        ).split("|")
        return dict(zip(["rows", "distinct", "enriched", "rolled_up"], map(int, rows),
                        strict=True))

    def external_ids(self) -> set[str]:
        return set(self.psql("SELECT external_id FROM ingestion_mention").split())

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-1500:]
                         for p in sorted(self.var_dir.glob("proc-*.log")))
