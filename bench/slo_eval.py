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
from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from ingestion import timegrain  # noqa: E402
from slo import buckets, evaluation, sources  # noqa: E402
from slo.models import (  # noqa: E402
    HOUR_RETENTION,
    MINUTE_RETENTION,
    SLO,
    Service,
    SLIHour,
    SLIMinute,
)

SERVICE = "bench-slo"


def minutes_sql(vendor: str) -> str:
    """Every minute in [start, end) for every bench SLO, generated inside the database in
    time order (as a live system writes them: all SLOs' minute, then the next minute)."""
    if vendor == "postgresql":
        series = (
            "generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 minute',"
            " interval '1 minute') AS m(t)"
        )
        return f"""
            INSERT INTO slo_sli_minute (slo_id, minute, good, total)
            SELECT s.id, m.t, 1000 - (s.id %% 7), 1000 FROM {series}, slo_slo s
            WHERE s.service_id = %(service)s ORDER BY m.t, s.id"""
    return """
        WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i + 1 < %(count)s)
        INSERT INTO slo_sli_minute (slo_id, minute, good, total)
        SELECT s.id, datetime(%(start)s, '+' || m.i || ' minutes'), 1000 - (s.id %% 7), 1000
        FROM m, slo_slo s WHERE s.service_id = %(service)s"""


OLD_HOURS_SQL = """
    INSERT INTO slo_sli_hour (slo_id, hour, good, total, good_slices, total_slices, minutes)
    SELECT s.id, h.t, 60 * (1000 - (s.id %% 7)), 60000, 60, 60, '{}'::jsonb
    FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 hour',
                         interval '1 hour') AS h(t), slo_slo s
    WHERE s.service_id = %(service)s ORDER BY h.t, s.id"""


EDGE_DETAIL_SQL = """
    UPDATE slo_sli_hour h SET minutes = (
        SELECT jsonb_object_agg(i::text, jsonb_build_array(1000 - (h.slo_id %% 7), 1000))
        FROM generate_series(0, 59) AS i)
    FROM slo_slo s
    WHERE s.id = h.slo_id AND s.service_id = %(service)s AND h.hour = ANY(%(hours)s)
      AND h.minutes = '{}'::jsonb"""


def edge_detail(service: Service, at) -> None:
    """Hours seeded before the minute retention carry no minute detail ({}); live ones do.
    The hours where this run's rolling periods begin get theirs, so reading the exact
    period edges costs what it costs on a live system (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    hours = [timegrain.floor_hour(at - timedelta(days=d)) for d in (7, 28, 30)]
    hours += [hour + timedelta(hours=1) for hour in hours]  # the next hour's ticks too
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(EDGE_DETAIL_SQL, {"service": service.pk, "hours": hours})


def hours_between(start, end) -> list:
    hours, hour = [], start
    while hour < end:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def write_minutes(service: Service, start, end) -> None:
    """Minute rows of [start, end) in 6-hour statements, then the hours they complete."""
    chunk = timedelta(hours=6)
    with connection.cursor() as cursor:
        while start < end:
            stop = min(start + chunk, end)
            params = {
                "start": buckets.db_time(start),
                "end": buckets.db_time(stop),
                "count": int((stop - start).total_seconds() // 60),
                "service": service.pk,
            }
            with transaction.atomic():
                cursor.execute(minutes_sql(connection.vendor), params)
            print(f"  minutes up to {stop:%m-%d %H:%M}", flush=True)
            start = stop


def seed(n_slos: int, at) -> None:
    """Seeds once (tens of minutes for 10,000 SLOs); a later run only adds the minutes since
    the last one, so the windows ending now are as full as on a live system."""
    service, _ = Service.objects.get_or_create(name=SERVICE, defaults={"owner": "bench"})
    bench_slos = SLO.objects.filter(service=service)
    if bench_slos.count() == n_slos:
        last = SLIMinute.objects.filter(slo__service=service).aggregate(m=Max("minute"))["m"]
        if last is not None and last + timedelta(minutes=1) < at:
            began = last + timedelta(minutes=1)
            print(f"topping up minutes since {began:%m-%d %H:%M} …", flush=True)
            write_minutes(service, began, at)
            hours = hours_between(timegrain.floor_hour(began), timegrain.floor_hour(at))
            buckets.roll_up_hours(hours)
        edge_detail(service, at)
        return
    print(f"seeding {n_slos} SLOs …", flush=True)
    bench_slos.delete()
    windows = ["30d", "30d", "28d", "7d", "calendar_month"]
    SLO.objects.bulk_create(
        (SLO(service=service, name=f"slo-{i:05d}", sli="ratio", objective="99.9", source="push",
             window=windows[i % 5], budgeting="timeslices" if i % 10 == 0 else "occurrences")
         for i in range(n_slos)),
        batch_size=2000,
    )  # fmt: skip
    start = timegrain.floor_hour(at - MINUTE_RETENTION)
    began = time.perf_counter()
    first = timegrain.floor_hour(at - HOUR_RETENTION)
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(OLD_HOURS_SQL, {"start": first, "end": start, "service": service.pk})
    else:
        SLIHour.objects.bulk_create(
            (SLIHour(slo=slo, hour=h, good=60 * (1000 - slo.pk % 7), total=60_000,
                     good_slices=60, total_slices=60)
             for h in hours_between(first, start) for slo in bench_slos),
            batch_size=5000,
        )  # fmt: skip
    print(f"  hour rows before the minutes: {time.perf_counter() - began:.1f} s", flush=True)
    write_minutes(service, start, at)
    print(f"  minute rows: {time.perf_counter() - began:.1f} s", flush=True)
    buckets.roll_up_hours(hours_between(start, timegrain.floor_hour(at)))
    edge_detail(service, at)
    print(f"  seeded in {time.perf_counter() - began:.1f} s", flush=True)


def time_aggregate(at) -> float:
    """The aggregate as one bare SQL query (same SQL and session settings as a tick)."""
    params = evaluation._bounds(at)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        began = time.perf_counter()
        cursor.execute(evaluation.aggregate_sql(), params)
        cursor.fetchall()
        elapsed = time.perf_counter() - began
    return elapsed


HOURS_ONLY_SQL = """
    SELECT h.slo_id, SUM(h.good), SUM(h.total) FROM slo_sli_hour h
    WHERE h.hour >= %s AND h.hour < %s GROUP BY h.slo_id"""


def time_hours_only(at) -> float:
    """Second reference: only summing each SLO's last 30 days of hourly rows (what the
    period alone cost before daily roll-ups), one plain GROUP BY."""
    hour_at = timegrain.floor_hour(at)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        began = time.perf_counter()
        cursor.execute(HOURS_ONLY_SQL, [buckets.db_time(hour_at - timedelta(days=30)),
                                        buckets.db_time(hour_at)])  # fmt: skip
        cursor.fetchall()
        return time.perf_counter() - began


def phases(at) -> dict[str, float]:
    """Where one tick's time goes: evaluate_all's steps, timed one by one."""
    spent, began = {}, time.perf_counter()

    def lap(name: str) -> None:
        nonlocal began
        spent[name] = time.perf_counter() - began
        began = time.perf_counter()

    sources.collect(at, timezone.now())
    lap("sources")
    counts = evaluation.aggregate(at)
    lap("aggregate + period edges")
    slos = list(SLO.objects.select_related("service"))
    snapshots = [evaluation.assess(slo, counts[slo.pk], at) for slo in slos if slo.pk in counts]
    lap("per-SLO arithmetic")
    with transaction.atomic():
        evaluation.store(snapshots)
        lap("snapshot upsert")
        buckets.prune(at)
        evaluation.prune_snapshots(at)
        lap("pruning")
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slos", type=int, default=1000)
    parser.add_argument("--ticks", type=int, default=3)
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument(
        "--with-alerts", action="store_true", help="also time the whole incidents.tick"
    )
    parser.add_argument(
        "--minute", type=int, help="tick at this minute of the last hour (1: the longest edges)"
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    now = timegrain.floor_minute(timezone.now())
    seed(args.slos, now)
    if args.seed_only:
        return
    at = now
    if args.minute is not None:
        at = now.replace(minute=args.minute)
        at -= timedelta(hours=1) if at > now else timedelta(0)
        edge_detail(Service.objects.get(name=SERVICE), at)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE slo_sli_minute, slo_sli_hour, slo_sli_day, slo_slo")
    with connection.cursor() as cursor:
        counts = {}
        for table in ("slo_sli_minute", "slo_sli_hour", "slo_sli_day"):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    reference = time_aggregate(at)
    hours_only = time_hours_only(at)
    ticks = []
    for _ in range(args.ticks):
        began = time.perf_counter()
        snapshots = evaluation.evaluate_all(at)
        ticks.append(time.perf_counter() - began)
    breakdown = phases(at)
    whole = []
    if args.with_alerts:
        from incidents import alerting

        alerting.evaluate(at, evaluation.compute(at))  # rules made, alerts and incidents opened
        for _ in range(args.ticks):
            began = time.perf_counter()
            alerting.evaluate(at, evaluation.evaluate_all(at))  # what incidents.tick runs
            whole.append(time.perf_counter() - began)
    print(
        f"database: {connection.vendor}; SLOs evaluated: {len(snapshots):,}; rows: "
        + ", ".join(f"{table[8:]} {n:,}" for table, n in counts.items())
        + f"\none Beat tick (evaluate_all) at {at:%H:%M}: median {statistics.median(ticks):.2f} s,"
        f" first {ticks[0]:.2f} s, all {', '.join(f'{t:.2f}' for t in ticks)}  (target ≤ 5 s)\n"
        f"reference, the tick's aggregate alone as one SQL query: {reference:.2f} s\n"
        f"reference, summing 30 days of hourly rows per SLO (no day roll-ups): {hours_only:.2f} s\n"
        "one more tick, step by step: "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in breakdown.items())
    )
    if whole:
        print(
            f"whole incidents.tick (SLO evaluation + alert rules, steady): median "
            f"{statistics.median(whole):.2f} s, all {', '.join(f'{t:.2f}' for t in whole)}"
        )


if __name__ == "__main__":
    main()
