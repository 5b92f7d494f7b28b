"""Private infrastructure for cluster and fault tests: PgBouncer, PostgreSQL, Redis, nginx.

Everything listens on 127.0.0.1 on a free port and lives in its own temporary directory, so a
test can stop its database or broker without touching the PostgreSQL and Redis that other
suites share. Server binaries that refuse root (pgbouncer, initdb, postgres) run as the
`postgres` system user when the tests run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.processes import free_port, wait_for

# The newest server version installed (initdb/pg_ctl are not on PATH on Debian).
PG_BIN = Path((sorted(glob.glob("/usr/lib/postgresql/*/bin")) or ["/usr/bin"])[-1])


def binary(name: str) -> str:
    """A Debian server binary; /usr/sbin is not on every user's PATH."""
    return shutil.which(name) or f"/usr/sbin/{name}"


def _unprivileged() -> dict:
    """subprocess kwargs that drop root to the postgres user (no-op for a normal user)."""
    return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}


def _private_dir(prefix: str) -> Path:
    # Not under pytest's tmp_path: its parent is 0700 root, which the postgres user can't enter.
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


def tcp_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PgBouncer:
    """PgBouncer in transaction mode in front of a PostgreSQL at 127.0.0.1:`upstream_port`."""

    def __init__(self, upstream_port: int, pool_size: int = 10):
        self.port = free_port()
        self.dir = _private_dir("sie-pgbouncer-")
        users = self.dir / "users.txt"
        users.write_text('"postgres" ""\n')
        self.ini = self.dir / "pgbouncer.ini"
        self.ini.write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={upstream_port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\n"
            f"pool_mode = transaction\ndefault_pool_size = {pool_size}\n"
            "max_client_conn = 200\nserver_check_delay = 1\n"
        )
        self.log = self.dir / "pgbouncer.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> PgBouncer:
        as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [binary("pgbouncer"), *as_user, str(self.ini)],
                stdout=log, stderr=subprocess.STDOUT,
            )
        if not wait_for(lambda: tcp_open(self.port), timeout=15):
            raise RuntimeError(f"pgbouncer did not start: {self.log.read_text()[-2000:]}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivatePostgres:
    """A throw-away PostgreSQL cluster (initdb + pg_ctl) that a test may stop and start."""

    def __init__(self):
        self.port = free_port()
        self.dir = _private_dir("sie-pg-")
        self.data = self.dir / "data"
        subprocess.run(
            [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, **_unprivileged(),
        )

    def url(self, database: str = "sie") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args],
            check=True, capture_output=True, **_unprivileged(),
        )

    def start(self) -> PrivatePostgres:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=100 -c shared_buffers=64MB"
        )
        self._ctl("-o", options, "-l", str(self.dir / "postgres.log"), "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

    def create_database(self, name: str) -> None:
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             name],
            check=True, capture_output=True,
        )

    def psql(self, database: str, sql: str) -> str:
        done = subprocess.run(
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", database, "-tAc", sql],
            check=True, capture_output=True, text=True,
        )
        return done.stdout.strip()

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """A redis-server without persistence on a free port: a restart loses every message."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="sie-redis-"))
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        if not wait_for(lambda: tcp_open(self.port), timeout=15):
            raise RuntimeError("redis-server did not start")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        while tcp_open(self.port):
            time.sleep(0.1)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
