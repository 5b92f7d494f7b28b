"""End-to-end pipeline benchmark: single mentions in, enriched mentions out.

gunicorn (`-w 2`, the repo's gunicorn config) and one Celery worker process (`-c 1`) on this
box, PostgreSQL + Redis. In one run:

1. ingest only (no worker yet): as many single-mention POSTs as 16 connections manage;
2. batched enrichment: the worker starts and drains that backlog (mentions/s);
3. fixed rates: single mentions offered open-loop at each --rates value (latency counted
   from the scheduled send time, so a slow server cannot hide queueing); per rate: accepted
   req/s, p50/p99, 429s, pending over time, enrichment lag (received -> enriched) p50/p99;
4. fairness: another customer posts a backlog in batches of 500 while the first posts single
   mentions at --fair-rate; the lag of the single mentions shows whether they were starved.

Prints the highest rate with lag p99 <= 5 s and no 429, beside the ingest-only rate and the
batched enrichment rate of the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sie_bench REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python bench/pipeline.py [--rates 100,200,400,600,800] [--duration 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.ingest import empty_mentions, free_port, setup  # noqa: E402

LAG_TARGET_S = 5.0
CONNECTIONS = 32
# The flooding customer's backlog: below SIE_QUEUE_MAX_SIZE (10,000), so the step measures
# the claim order, not the (global) queue_full backpressure.
FLOOD = 8_000


@dataclass
class Step:
    name: str
    offered: float = 0.0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    pending: list[int] = field(default_factory=list)
    lag_p50: float | None = None
    lag_p99: float | None = None
    undrained: int = 0

    wall: float = 0.0  # how long the step really took (longer than `seconds` if the server lags)

    @property
    def accepted_rps(self) -> float:
        return self.statuses.get(202, 0) / self.wall if self.wall else 0.0

    def pct(self, q: float) -> float:
        data = sorted(self.latencies)
        return data[int(q * (len(data) - 1))] * 1000 if data else float("nan")


class Client:
    """HTTP/1.1 POSTs of JSON to /ingest (stdlib asyncio only), one connection per request
    (`Connection: close`): an idle keep-alive connection would hold a gunicorn sync worker."""

    def __init__(self, port: int, key: str):
        self.port, self.key = port, key

    async def connect(self) -> list:
        return [None, None]

    async def post(self, conn: list, body: bytes) -> int:
        if conn[0] is None:
            conn[:] = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = conn
        writer.write(
            b"POST /ingest HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\n"
            b"X-API-Key: " + self.key.encode() + b"\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.lower().split(b"\r\n"):
            if line.startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        writer.close()
        conn[:] = [None, None]
        return status


def close(conn: list) -> None:
    if conn[1] is not None:
        close(conn)


def body(project: str, ext: str, n: int) -> bytes:
    text = f"I love Acme, order {n} arrived fast #happy" if n % 3 else f"Acme broke again {n} :("
    return json.dumps({"project": project, "external_id": ext, "text": text}).encode()


async def open_loop(client: Client, step: Step, project: str, prefix: str) -> None:
    """Offer `step.offered` req/s for `step.seconds`; a request waits for a free connection."""
    queue: asyncio.Queue = asyncio.Queue()
    total = int(step.offered * step.seconds)

    async def connection_worker() -> None:
        conn = await client.connect()
        while (item := await queue.get()) is not None:
            n, scheduled = item
            status = await client.post(conn, body(project, f"{prefix}-{n}", n))
            step.latencies.append(time.monotonic() - scheduled)
            step.statuses[status] = step.statuses.get(status, 0) + 1
        close(conn)

    workers = [asyncio.create_task(connection_worker()) for _ in range(CONNECTIONS)]
    start = time.monotonic()
    for n in range(total):
        scheduled = start + n / step.offered
        if (delay := scheduled - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((n, scheduled))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)


async def closed_loop(client: Client, step: Step, project: str, connections: int = 16) -> None:
    stop = time.monotonic() + step.seconds

    async def connection_worker(c: int) -> None:
        conn, n = await client.connect(), 0
        while time.monotonic() < stop:
            started = time.monotonic()
            status = await client.post(conn, body(project, f"ingest-{c}-{n}", n))
            step.latencies.append(time.monotonic() - started)
            step.statuses[status] = step.statuses.get(status, 0) + 1
            n += 1
        close(conn)

    await asyncio.gather(*(connection_worker(c) for c in range(connections)))


def pending(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM ingestion_mention WHERE status = 'pending'"
        ).fetchone()[0]


def sample_pending(dsn: str, step: Step, stop: threading.Event) -> threading.Thread:
    def run() -> None:
        while not stop.wait(1.0):
            step.pending.append(pending(dsn))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def wait_drained(dsn: str, timeout: float) -> float:
    started = time.monotonic()
    while pending(dsn) and time.monotonic() - started < timeout:
        time.sleep(0.2)
    return time.monotonic() - started


def record_lag(dsn: str, step: Step, prefix: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        p50, p99, undrained = conn.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM"
            " enriched_at - received_at)), percentile_cont(0.99) WITHIN GROUP (ORDER BY"
            " extract(epoch FROM enriched_at - received_at)), count(*) FILTER (WHERE"
            " enriched_at IS NULL) FROM ingestion_mention WHERE external_id LIKE %s",
            [prefix + "-%"],
        ).fetchone()
    step.lag_p50, step.lag_p99, step.undrained = p50, p99, undrained


def run_step(dsn: str, step: Step, coro) -> None:
    stop = threading.Event()
    sampler = sample_pending(dsn, step, stop)
    began = time.monotonic()
    asyncio.run(coro)
    step.wall = time.monotonic() - began
    stop.set()
    sampler.join()


async def flood(port: int, key: str, project: str, mentions: int) -> None:
    client = Client(port, key)
    conn = await client.connect()
    for start in range(0, mentions, 500):
        batch = [
            {"project": project, "external_id": f"flood-{n}", "text": f"bulk import {n} meh"}
            for n in range(start, min(start + 500, mentions))
        ]
        await client.post(conn, json.dumps({"mentions": batch}).encode())
    close(conn)


async def fair_step(client: Client, step: Step, port: int, flood_key: str) -> None:
    await asyncio.gather(
        open_loop(client, step, "bench", "fair"), flood(port, flood_key, "flood", FLOOD)
    )


def start_processes(env: dict, port: int) -> subprocess.Popen:
    conf = ROOT / "gunicorn.conf.py"
    conf = conf if conf.exists() else ROOT / "sie_site" / "gunicorn.conf.py"
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(conf), "sie_site.wsgi",
         "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sie_site", "worker", "-c", "1",
         "--without-gossip", "--without-mingle", "-l", "WARNING"],
        cwd=ROOT, env=env,
    )


def create_flood_customer(env: dict) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", "createapikey", "flood", "--tier", "enterprise",
         "--project", "flood"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def fmt(value: float | None, unit: str = "s") -> str:
    return "-" if value is None else f"{value:.2f}{unit}"


def report(ingest: Step, drain_rate: float, steps: list[Step], fair: Step | None) -> None:
    print(f"\n{'step':28} {'offered':>8} {'wall':>6} {'accepted/s':>10} {'p50':>8} {'p99':>8} "
          f"{'429':>5} {'max pend':>8} {'lag p50':>8} {'lag p99':>8} {'undrained':>9}")
    for s in [ingest, *steps, *([fair] if fair else [])]:
        print(f"{s.name:28} {s.offered or 0:8.0f} {s.wall:5.0f}s {s.accepted_rps:10.1f} "
              f"{s.pct(.5):7.1f}ms {s.pct(.99):7.1f}ms {s.statuses.get(429, 0):5d} "
              f"{max(s.pending, default=0):8d} "
              f"{fmt(s.lag_p50):>8} {fmt(s.lag_p99):>8} {s.undrained:9d}")
        if s.pending:
            print(f"{'':28} pending each second: {s.pending}")
    # Sustained: the server accepted what was offered (>= 95 %) within the step's time.
    ok = [s for s in steps if s.lag_p99 is not None and s.lag_p99 <= LAG_TARGET_S
          and not s.statuses.get(429) and not s.undrained and s.accepted_rps >= 0.95 * s.offered]
    best = max((s.offered for s in ok), default=0)
    print(f"\nhighest rate with lag p99 <= {LAG_TARGET_S:.0f} s and no 429: {best:.0f} mentions/s")
    print(f"ingest only (same run, no worker): {ingest.accepted_rps:.0f} req/s")
    print(f"batched enrichment (same run, 1 worker process draining): {drain_rate:.0f} mentions/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="100,200,400,600,800")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--ingest-seconds", type=int, default=8)
    parser.add_argument("--fair-rate", type=int, default=100)
    args = parser.parse_args()
    dsn = os.environ.get("DATABASE_URL", "")
    if not dsn.startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL=postgres://… and REDIS_URL: the benchmark targets production")
    var = tempfile.mkdtemp(prefix="sie-pipeline-")
    env = {**os.environ, "SIE_VAR_DIR": var, "DEBUG": "false", "SIE_RATE_LIMIT_ENABLED": "false",
           "LOG_LEVEL": "WARNING", "ENVIRONMENT": os.environ.get("ENVIRONMENT", "development")}
    key = setup(env)
    flood_key = create_flood_customer(env)
    empty_mentions(dsn)
    port = free_port()
    web = start_processes(env, port)
    worker = None
    try:
        time.sleep(5)
        client = Client(port, key)
        ingest = Step("ingest only (16 conns)", seconds=args.ingest_seconds)
        run_step(dsn, ingest, closed_loop(client, ingest, "bench"))
        backlog = pending(dsn)
        worker = start_worker(env)
        time.sleep(8)  # worker start-up (spaCy import) is not enrichment time
        t = time.monotonic()
        subprocess.run([sys.executable, "-c", "from ingestion import nudges; nudges.publish()"],
                       cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "sie_site.settings"},
                       check=False, capture_output=True)
        wait_drained(dsn, 300)
        drain_rate = backlog / (time.monotonic() - t) if backlog else 0.0
        steps = []
        for rate in [int(r) for r in args.rates.split(",")]:
            step = Step(f"single mentions @ {rate}/s", offered=rate, seconds=args.duration)
            run_step(dsn, step, open_loop(client, step, "bench", f"r{rate}"))
            wait_drained(dsn, 60)
            record_lag(dsn, step, f"r{rate}")
            steps.append(step)
        fair = Step(f"fairness @ {args.fair_rate}/s + {FLOOD} flood", offered=args.fair_rate,
                    seconds=args.duration)
        run_step(dsn, fair, fair_step(client, fair, port, flood_key))
        wait_drained(dsn, 120)
        record_lag(dsn, fair, "fair")
    finally:
        for process in (web, worker):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
        shutil.rmtree(var, ignore_errors=True)
    report(ingest, drain_rate, steps, fair)


if __name__ == "__main__":
    main()
