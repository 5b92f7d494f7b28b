"""Cluster load test: `make cluster`'s layout (two gunicorn instances behind nginx, two Celery
workers, one Beat) at rising load up to the knee, against the SIE's own SLOs.

Each step runs wrk (one mention per POST /ingest) at a higher concurrency through nginx and
reports req/s, p50/p95/p99, the error rate, and the enrichment lag (enriched_at - received_at)
of the mentions accepted in that step. References measured in the same run: GET /health
through nginx (what the box serves with no database work) and one instance alone at the
knee's concurrency (capacity per instance). Then the instance and worker counts those
figures imply for the SIE plan's tiers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sie_bench \
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/cluster.py [--step-seconds 10]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LUA = Path(__file__).resolve().parent / "lua"

from bench.ingest import empty_mentions, free_port, setup  # noqa: E402
from sie_site.cluster import LocalCluster  # noqa: E402

# The SIE's own ingestion SLOs (SPEC §5) and plan figures.
SLO_P50_MS, SLO_P99_MS, SLO_ERROR_RATE, LAG_P99_S = 500, 2000, 0.001, 5.0
TIERS = {"starter": 10_000 / 86400, "pro": 100_000 / 86400, "enterprise": 1_000_000 / 86400}
ENTERPRISE_PEAK = 500


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wrk(url: str, connections: int, seconds: int, env: dict, lua: str | None) -> dict:
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency",
           "--timeout", "10s"]
    cmd += ["-s", str(LUA / lua)] if lua else []
    out = subprocess.run([*cmd, url], capture_output=True, text=True, env=env, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(map(int, errors.groups())) if errors else 0)
    pct = re.search(r"PCT (\d+) (\d+) (\d+)", out)
    p50, p95, p99 = (int(v) / 1000 for v in pct.groups()) if pct else (None, None, None)
    return {"c": connections, "rps": rps, "p50": p50, "p95": p95, "p99": p99,
            "errors": failed, "total": total}


def lag(dsn: str, since: float) -> dict:
    """Enrichment lag of the mentions received since `since` (epoch s), once all are done."""
    import psycopg

    seconds = "extract(epoch FROM enriched_at - received_at)"
    query = (
        "SELECT count(*) FILTER (WHERE status = 'pending'),"
        f" percentile_cont(0.5) WITHIN GROUP (ORDER BY {seconds}),"
        f" percentile_cont(0.99) WITHIN GROUP (ORDER BY {seconds}),"
        " count(*), extract(epoch FROM max(enriched_at) - min(received_at))"
        " FROM ingestion_mention WHERE received_at >= to_timestamp(%s)"
    )
    deadline = time.monotonic() + 300
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            pending, p50, p99, count, span = conn.execute(query, (since,)).fetchone()
            if not pending or time.monotonic() > deadline:
                return {"lag_p50": p50, "lag_p99": p99, "count": count, "pending": pending,
                        "enriched_per_s": float(count / span) if span else None}
            time.sleep(1)


def drain(base: str, key: str, dsn: str, mentions: int = 2000) -> float:
    """Worker capacity: a backlog posted in batches of 500, then enriched mentions/s from the
    first to the last enrichment (both workers busy all along)."""
    import psycopg

    since = time.time()
    for start in range(0, mentions, 500):
        body = {"mentions": [{"project": "bench", "external_id": f"drain-{since}-{i}",
                              "text": f"I love Acme Cloud #{i} but support was slow"}
                             for i in range(start, start + 500)]}
        request = urllib.request.Request(f"{base}/ingest", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json",
                                                  "X-API-Key": key})
        urllib.request.urlopen(request, timeout=60).read()
    lag(dsn, since)
    with psycopg.connect(dsn, autocommit=True) as conn:
        count, span = conn.execute(
            "SELECT count(*), extract(epoch FROM max(enriched_at) - min(enriched_at))"
            " FROM ingestion_mention WHERE external_id LIKE %s", (f"drain-{since}-%",)
        ).fetchone()
    return float(count / span) if span else 0.0


def fmt(step: dict) -> str:
    ok = (step["p50"] <= SLO_P50_MS and step["p99"] <= SLO_P99_MS
          and step["errors"] / max(step["total"], 1) <= SLO_ERROR_RATE
          and (step.get("lag_p99") or 0) <= LAG_P99_S)
    lag_p99 = step.get("lag_p99")
    return (f"| {step['c']:>3} | {step['rps']:7.0f} | {step['p50']:7.1f} | {step['p95']:7.1f} | "
            f"{step['p99']:7.1f} | {step['errors'] / max(step['total'], 1):.2%} | "
            f"{step.get('lag_p50') or 0:5.2f} | {lag_p99 or 0:5.2f} | "
            f"{step.get('enriched_per_s') or 0:5.0f} | {'yes' if ok else 'NO'} |")


def ramp(base: str, env: dict, dsn: str, seconds: int, max_c: int) -> list[dict]:
    steps, connections = [], 1
    print("| conns | req/s | p50 ms | p95 ms | p99 ms | errors | lag p50 s | lag p99 s "
          "| enriched/s | within SLOs |")
    while connections <= max_c:
        since = time.time()
        step = wrk(f"{base}/ingest", connections, seconds, env, "cluster.lua")
        step.update(lag(dsn, since))
        steps.append(step)
        print(fmt(step), flush=True)
        # The knee: throughput stops growing (< 10 % more) while latency keeps climbing.
        if len(steps) > 2 and step["rps"] < steps[-2]["rps"] * 1.10:
            break
        connections *= 2
    return steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step-seconds", type=int, default=10)
    parser.add_argument("--max-connections", type=int, default=64)
    args = parser.parse_args()
    dsn = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://")
    var_dir = Path(tempfile.mkdtemp(prefix="sie-cluster-bench-"))
    var_dir.chmod(0o755)  # nginx runs as nobody when started as root
    env = {**os.environ, "SIE_VAR_DIR": str(var_dir), "SIE_RATE_LIMIT_ENABLED": "false",
           "DEBUG": "false", "LOG_LEVEL": "WARNING", "SIE_LUA_DIR": str(LUA)}
    key = setup(env)
    empty_mentions(dsn)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("SIE_", "LOG_", "DEBUG"))})
    port, web_ports = free_port(), (free_port(), free_port())
    cluster = LocalCluster(var_dir / "cluster", port, web_ports)
    cluster.start(ROOT)
    wrk_env = {**env, "SIE_KEY": key, "SIE_PROJECT": "bench"}
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not answers(f"{base}/ready") and time.monotonic() < deadline:
            time.sleep(1)
        health = wrk(f"{base}/health", 16, args.step_seconds, wrk_env, None)
        print(f"reference GET /health through nginx, 16 conns: {health['rps']:.0f} req/s")
        steps = ramp(base, wrk_env, dsn, args.step_seconds, args.max_connections)
        good = [s for s in steps if s["p99"] <= SLO_P99_MS and s["errors"] == 0
                and (s.get("lag_p99") or 0) <= LAG_P99_S]
        knee = max(good or steps, key=lambda s: s["rps"])
        since = time.time()
        single = wrk(f"http://127.0.0.1:{web_ports[0]}/ingest", knee["c"], args.step_seconds,
                     wrk_env, "cluster.lua")
        lag(dsn, since)
        enriched_per_s = drain(base, key, dsn)
        report(knee, single, enriched_per_s)
    finally:
        cluster.stop()
        shutil.rmtree(var_dir, ignore_errors=True)


def report(knee: dict, single: dict, enriched_per_s: float) -> None:
    per_worker = enriched_per_s / 2
    print(f"knee (best step within SLOs): {knee['rps']:.0f} req/s at {knee['c']} connections")
    print(f"one instance alone at {knee['c']} connections: {single['rps']:.0f} req/s, "
          f"p99 {single['p99']:.1f} ms")
    print(f"capacity: ~{knee['rps'] / 2:.0f} req/s per instance in the pair; "
          f"enrichment {enriched_per_s:.0f} mentions/s draining a backlog with 2 workers "
          f"(x 2 processes): {per_worker:.0f} per worker")
    per_instance = max(knee["rps"] / 2, 1)
    for tier, rate in TIERS.items():
        print(f"  {tier}: {rate:.2f} mentions/s average -> 1 instance (+1 for redundancy), "
              f"{max(1, math.ceil(rate / max(per_worker, 1)))} worker(s)")
    print(f"  enterprise peak {ENTERPRISE_PEAK} req/s -> "
          f"{math.ceil(ENTERPRISE_PEAK / per_instance)} instance(s) (+1 for N+1), "
          f"{math.ceil(ENTERPRISE_PEAK / max(per_worker, 1))} worker(s) to keep lag flat")


if __name__ == "__main__":
    main()
