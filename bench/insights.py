"""Read-side benchmark: GET /insights and GET /api/v1/mentions over 1M stored mentions.

Loads N enriched mentions (default 1,000,000, 30 days, one project) straight into PostgreSQL
with generate_series, builds the hourly roll-ups the way enrichment maintains them (one
aggregate), then loads gunicorn with wrk and prints req/s, p50, p99 next to GET /health
measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sie_bench_read \
    REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python bench/insights.py [--mentions 1000000] [--duration 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import ROOT, free_port, setup, wrk  # noqa: E402

LOAD_SQL = """
INSERT INTO ingestion_mention (project_id, external_id, text, source, author, url, posted_at,
    lang, metadata, received_at, occurred_at, status, queued_at, enriched_at, sentiment,
    compound, positive, neutral, negative, entities, hashtags, keywords, detected_lang, ai,
    degraded)
SELECT %(project)s, 'bench-' || g,
       (ARRAY['I love Acme Cloud #launch', 'Acme is down again, terrible #outage',
              'Anyone tried Anvil Pro? #question', 'Globex support was great #support'])[g %% 4 + 1]
         || ' ' || g,
       (ARRAY['twitter', 'reddit', 'news'])[g %% 3 + 1], '@user' || (g %% 1000), '', t,
       'en', '{}', t, t, 'enriched', t, t,
       (ARRAY['positive', 'negative', 'neutral', 'positive'])[g %% 4 + 1],
       (ARRAY[0.6, -0.7, 0.0, 0.8])[g %% 4 + 1], 0.3, 0.5, 0.2,
       jsonb_build_array(jsonb_build_object(
           'text', (ARRAY['Acme Cloud', 'Acme', 'Anvil Pro', 'Globex'])[g %% 4 + 1],
           'label', 'BRAND')),
       jsonb_build_array((ARRAY['launch', 'outage', 'question', 'support'])[g %% 4 + 1]),
       '[]', 'en', '{}', false
FROM (SELECT g, now() - (g * interval '30 days' / %(n)s) AS t
      FROM generate_series(1, %(n)s) AS g) AS rows
"""
ROLLUP_SQL = """
INSERT INTO ingestion_hourlyrollup
    (project_id, bucket, count, compound_sum, positive, neutral, negative)
SELECT project_id, date_trunc('hour', occurred_at), count(*), sum(compound),
       count(*) FILTER (WHERE sentiment = 'positive'),
       count(*) FILTER (WHERE sentiment = 'neutral'),
       count(*) FILTER (WHERE sentiment = 'negative')
FROM ingestion_mention WHERE project_id = %(project)s GROUP BY 1, 2
"""
TERMS_SQL = """
INSERT INTO ingestion_termrollup (project_id, bucket, kind, text, label, count)
SELECT project_id, date_trunc('hour', occurred_at), 'hashtag', h, '', count(*)
FROM ingestion_mention, jsonb_array_elements_text(hashtags) AS h
WHERE project_id = %(project)s GROUP BY 1, 2, 4
UNION ALL
SELECT project_id, date_trunc('hour', occurred_at), 'entity', e->>'text', e->>'label', count(*)
FROM ingestion_mention, jsonb_array_elements(entities) AS e
WHERE project_id = %(project)s GROUP BY 1, 2, 4, 5
"""


def load(dsn: str, n: int) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        project = conn.execute(
            "SELECT id FROM ingestion_project WHERE slug = 'bench'"
        ).fetchone()[0]
        have = conn.execute(
            "SELECT count(*) FROM ingestion_mention WHERE project_id = %s", (project,)
        ).fetchone()[0]
        if have >= n:
            print(f"reusing {have} stored mentions")
            return
        started = time.monotonic()
        for sql in ("DELETE FROM ingestion_termrollup", "DELETE FROM ingestion_hourlyrollup",
                    "DELETE FROM ingestion_mention"):
            conn.execute(sql)
        conn.execute(LOAD_SQL, {"project": project, "n": n})
        conn.execute(ROLLUP_SQL, {"project": project})
        conn.execute(TERMS_SQL, {"project": project})
        conn.execute("VACUUM ANALYZE")
        print(f"loaded {n} mentions in {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    dsn = os.environ.get("DATABASE_URL", "")
    if not dsn.startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://… (and REDIS_URL)")
    var = tempfile.mkdtemp(prefix="sie-bench-")
    env = {**os.environ, "SIE_VAR_DIR": var, "DEBUG": "false", "SIE_RATE_LIMIT_ENABLED": "false",
           "LOG_LEVEL": "WARNING"}
    key = setup(env)
    load(dsn, args.mentions)
    port = free_port()
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "sie_site.wsgi", "-w", str(args.workers),
         "-b", f"127.0.0.1:{port}", "--log-level", "warning"], cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    cases = {
        "GET /health (bare Django JSON view)": (f"{base}/health", None),
        "GET /insights (30 days, hourly)": (f"{base}/insights?project=bench", "get.lua"),
        "GET /insights (last 24 h, hourly)": (
            f"{base}/insights?project=bench&since={_ago(1)}", "get.lua"),
        "GET /insights (30 days, daily)": (
            f"{base}/insights?project=bench&interval=day", "get.lua"),
        "GET /api/v1/mentions (first page)": (f"{base}/api/v1/mentions?project=bench", "get.lua"),
        "GET /api/v1/mentions?q=outage": (
            f"{base}/api/v1/mentions?project=bench&q=outage", "get.lua"),
    }
    try:
        time.sleep(4)
        lua_env = {**env, "SIE_KEY": key}
        rows = {name: wrk(url, script, args.duration, args.connections, lua_env)
                for name, (url, script) in cases.items()}
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        shutil.rmtree(var, ignore_errors=True)
    print(f"\n{args.mentions} mentions stored; gunicorn workers: {args.workers}, "
          f"{args.connections} connections")
    print(f"{'case':40} {'req/s':>9} {'p50':>9} {'p99':>9} {'non-2xx':>8}")
    for name, r in rows.items():
        print(f"{name:40} {r['rps']:9.1f} {r['p50']:>9} {r['p99']:>9} {r['errors']:8d}")


def _ago(days: int) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


if __name__ == "__main__":
    main()
