"""Ingest benchmark: gunicorn on PostgreSQL + Redis, loaded by wrk on loopback.

Prints req/s, p50, p99 for POST /ingest with one mention a request and with batches of 500,
next to two references measured in the same run: GET /health (a bare Django JSON view
through the same middleware and gunicorn) and raw PostgreSQL single-row inserts (psycopg,
same concurrency). Also the peak RSS of each gunicorn worker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sie_bench REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python bench/ingest.py [--duration 15] [--workers 4] [--connections 16]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LUA = Path(__file__).resolve().parent / "lua"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(env: dict[str, str]) -> str:
    """Migrate and create an enterprise customer; returns its API key."""
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [py, "manage.py", "createapikey", "bench", "--tier", "enterprise", "--project", "bench"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def empty_mentions(dsn: str) -> None:
    """Start from an empty mention table so earlier runs' backlog does not weigh on this one."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE ingestion_mention, ingestion_hourlyrollup, ingestion_termrollup")


def wrk(url: str, script: str | None, duration: int, connections: int, env: dict) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", str(LUA / script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, env=env, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": lat.get("50"),
        "p99": lat.get("99"),
        "errors": int(non2xx.group(1)) if non2xx else 0,
    }


def raw_pg_inserts(dsn: str, seconds: float, threads: int) -> dict:
    """Reference: single-row INSERT + COMMIT per call, as many as `threads` clients manage."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw")
        conn.execute(
            "CREATE TABLE bench_raw (id bigserial primary key, ext text unique, body jsonb)"
        )
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        mine = []
        with psycopg.connect(dsn, autocommit=True) as conn:
            i = 0
            while time.monotonic() < stop:
                t = time.perf_counter()
                conn.execute(
                    "INSERT INTO bench_raw (ext, body) VALUES (%s, %s)",
                    (f"{n}-{i}", '{"text": "I love Acme #bench"}'),
                )
                mine.append(time.perf_counter() - t)
                i += 1
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    latencies.sort()
    pick = lambda q: f"{latencies[int(q * (len(latencies) - 1))] * 1000:.2f}ms"  # noqa: E731
    return {"rps": len(latencies) / seconds, "p50": pick(0.5), "p99": pick(0.99), "errors": 0}


def worker_rss(master_pid: int) -> list[int]:
    """Peak RSS (VmHWM, MB) of each gunicorn worker."""
    out = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout
    peaks = []
    for pid in out.split():
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) // 1024)
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    dsn = os.environ.get("DATABASE_URL", "")
    if not dsn.startswith("postgres"):
        sys.exit(
            "set DATABASE_URL=postgres://… (and REDIS_URL) — the benchmark targets production mode"
        )
    var = tempfile.mkdtemp(prefix="sie-bench-")
    env = {
        **os.environ,
        "SIE_VAR_DIR": var,
        "DEBUG": "false",
        "SIE_RATE_LIMIT_ENABLED": "false",
        "SIE_QUEUE_MAX_SIZE": "100000000",
        "SIE_DB_POOL_MAX": "8",
        "LOG_LEVEL": "WARNING",
    }
    key = setup(env)
    empty_mentions(dsn)
    port = free_port()
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "sie_site.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(4)
        base = f"http://127.0.0.1:{port}"
        lua_env = {**env, "SIE_KEY": key, "SIE_PROJECT": "bench"}
        wrk(f"{base}/health", None, 3, args.connections, lua_env)  # warm-up
        rows = {
            "GET /health (bare Django JSON view)": wrk(
                f"{base}/health", None, args.duration, args.connections, lua_env
            ),
            "raw PostgreSQL single-row INSERT": raw_pg_inserts(
                dsn, args.duration, args.connections
            ),
            "POST /ingest, 1 mention/request": wrk(
                f"{base}/ingest", "single.lua", args.duration, args.connections, lua_env
            ),
            "POST /ingest, 500 mentions/request": wrk(
                f"{base}/ingest", "batch.lua", args.duration, max(4, args.workers), lua_env
            ),
        }
        rss = worker_rss(gunicorn.pid)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        shutil.rmtree(var, ignore_errors=True)
    print(f"\n{'case':40} {'req/s':>9} {'mentions/s':>11} {'p50':>9} {'p99':>9} {'non-2xx':>8}")
    for name, r in rows.items():
        per = 500 if "500" in name else 1
        print(
            f"{name:40} {r['rps']:9.1f} {r['rps'] * per:11.0f} {r['p50']:>9} {r['p99']:>9} "
            f"{r['errors']:8d}"
        )
    print(f"gunicorn workers: {args.workers}, peak RSS per worker (MB): {rss}")


if __name__ == "__main__":
    main()
