"""SLO evaluation benchmark: one Beat tick over 1,000 SLOs with 30 days of buckets.

Data kept as the engine keeps it: per-minute rows for the burn windows (3 days + 2 h, i.e.
1,000 × 4,440 = 4.4 M rows) and hourly roll-ups for the budget period (1,000 × 33 × 24 =
0.8 M rows). Prints the full tick (sources, roll-up, the aggregate, 1,000 snapshot upserts,
pruning) beside the reference: the same aggregate run once as a single SQL query.
Target (SPEC §10): one tick ≤ 5 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sie_bench .venv/bin/python bench/slo_eval.py
    .venv/bin/python bench/slo_eval.py   # the embedded SQLite default (var/ or SIE_VAR_DIR)

Seeding happens once per database (minutes on a 2-core box); later runs reuse the rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sie_site.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from ingestion import timegrain  # noqa: E402
from slo import buckets, evaluation  # noqa: E402
from slo.models import HOUR_RETENTION, MINUTE_RETENTION, SLO, Service, SLIHour  # noqa: E402

SERVICE = "bench-slo"


def minutes_sql(vendor: str) -> str:
    """Every minute in [start, end) for every bench SLO, generated inside the database."""
    if vendor == "postgresql":
        series = (
            "generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 minute',"
            " interval '1 minute') AS m(t)"
        )
        return f"""
            INSERT INTO slo_sli_minute (slo_id, minute, good, total)
            SELECT s.id, m.t, 1000 - (s.id %% 7), 1000 FROM slo_slo s, {series}
            WHERE s.service_id = %(service)s"""
    return """
        WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i + 1 < %(count)s)
        INSERT INTO slo_sli_minute (slo_id, minute, good, total)
        SELECT s.id, datetime(%(start)s, '+' || m.i || ' minutes'), 1000 - (s.id %% 7), 1000
        FROM slo_slo s, m WHERE s.service_id = %(service)s"""


def seed(n_slos: int, at) -> None:
    service, _ = Service.objects.get_or_create(name=SERVICE, defaults={"owner": "bench"})
    if SLO.objects.filter(service=service).count() == n_slos:
        return
    print(f"seeding {n_slos} SLOs …", flush=True)
    SLO.objects.filter(service=service).delete()
    windows = ["30d", "30d", "28d", "7d", "calendar_month"]
    SLO.objects.bulk_create(
        SLO(service=service, name=f"slo-{i:04d}", sli="ratio", objective="99.9", source="push",
            window=windows[i % 5], budgeting="timeslices" if i % 10 == 0 else "occurrences")
        for i in range(n_slos)
    )  # fmt: skip
    start = timegrain.floor_hour(at - MINUTE_RETENTION)
    count = int((at - start).total_seconds() // 60)
    params = {"start": buckets.db_time(start), "end": buckets.db_time(at), "count": count,
              "service": service.pk}  # fmt: skip
    began = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(minutes_sql(connection.vendor), params)
    print(f"  minute rows: {n_slos * count:,} in {time.perf_counter() - began:.1f} s", flush=True)
    hour, hours = timegrain.floor_hour(at - HOUR_RETENTION), []
    while hour < at:
        hours.append(hour)
        hour += timedelta(hours=1)
    old = [h for h in hours if h < start]
    SLIHour.objects.bulk_create(
        (SLIHour(slo=slo, hour=h, good=60 * (1000 - slo.pk % 7), total=60_000, good_slices=60,
                 total_slices=60)
         for slo in SLO.objects.filter(service=service) for h in old),
        batch_size=5000,
    )  # fmt: skip
    buckets.roll_up_hours([h for h in hours if h >= start])
    print(f"  seeded in {time.perf_counter() - began:.1f} s", flush=True)


def time_aggregate(at) -> float:
    """The aggregate as one bare SQL query (same SQL and session settings as a tick)."""
    params = evaluation._bounds(at)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        began = time.perf_counter()
        cursor.execute(evaluation.aggregate_sql(), params)
        rows = cursor.fetchall()
        elapsed = time.perf_counter() - began
    assert len(rows) >= 1000, len(rows)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slos", type=int, default=1000)
    parser.add_argument("--ticks", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    at = timegrain.floor_minute(timezone.now())
    seed(args.slos, at)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE slo_sli_minute; ANALYZE slo_sli_hour; ANALYZE slo_slo")
    minutes = connection.cursor().execute("SELECT COUNT(*) FROM slo_sli_minute").fetchone()[0]
    hours = SLIHour.objects.count()
    reference = time_aggregate(at)
    ticks = []
    for _ in range(args.ticks):
        began = time.perf_counter()
        snapshots = evaluation.evaluate_all(at)
        ticks.append(time.perf_counter() - began)
    print(
        f"database: {connection.vendor}; SLOs evaluated: {len(snapshots)}; "
        f"minute rows: {minutes:,}; hour rows: {hours:,}\n"
        f"one Beat tick (evaluate_all): median {statistics.median(ticks):.2f} s, "
        f"first {ticks[0]:.2f} s over {len(ticks)} ticks  (target ≤ 5 s)\n"
        f"reference, the aggregate alone as one SQL query: {reference:.2f} s"
    )


if __name__ == "__main__":
    main()
