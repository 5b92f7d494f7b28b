"""Dashboards benchmark: server time of the SLO overview with 1,000 SLOs and of a detail page.

Seeds 1,000 SLOs (mixed statuses, some firing) with one snapshot a minute for --hours hours
(default 24 h: 1.44 M snapshot rows, what Beat writes in a day), then times full requests
through the Django stack in-process (middleware, session, staff check, queries, template)
with the test client: the overview, the overview filtered to one service, a detail page on
its default 1-day range and on the 30-day window (sampled to 240 points). The overview's
sparklines are cached per Beat tick, so it is timed twice: between ticks (cached, what every
refresh gets) and as the first request after a tick (cache cleared before each run). Reference, same
run: /dashboards/ (a redirect through the same middleware, session and staff check).
Targets (SPEC §10): overview ≤ 300 ms, detail ≤ 200 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sie_w12 .venv/bin/python bench/dashboards.py

Seeding happens once per database; later runs reuse the rows (PostgreSQL only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sie_site.settings")
os.environ.setdefault("ENVIRONMENT", "development")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from ingestion import timegrain  # noqa: E402
from slo.models import SLO, Service, Snapshot  # noqa: E402

PREFIX = "bench-dash"
SNAPSHOTS_SQL = """
    INSERT INTO slo_snapshot (slo_id, evaluated_at, status, sli, good, total, budget_total,
                              budget_consumed, budget_remaining, burn_rates, alerts)
    SELECT s.id, m.t,
           CASE WHEN s.id %% 10 = 0 THEN 'breached' WHEN s.id %% 10 = 1 THEN 'at_risk'
                WHEN s.id %% 10 = 2 THEN 'no_data' ELSE 'ok' END,
           0.9995, 999500, 1000000, 0.001, 0.5, 0.5 - (s.id %% 13) / 10.0
               - extract(epoch FROM m.t - %(start)s::timestamptz) / 8640000.0,
           jsonb_build_object('5m', 0.2 + s.id %% 7, '30m', 0.3, '1h', 0.4 + s.id %% 5,
                              '2h', 0.5, '6h', 0.6, '1d', 0.7, '3d', 0.8),
           CASE WHEN s.id %% 10 = 1 THEN '[{"severity": "page", "windows": ["1h", "5m"],
                "threshold": 14.4, "burn_rates": {}}]'::jsonb ELSE '[]'::jsonb END
    FROM slo_slo s,
         generate_series(%(start)s::timestamptz, %(end)s::timestamptz, interval '1 minute') m(t)
    JOIN slo_service v ON TRUE
    WHERE v.id = s.service_id AND v.name LIKE %(prefix)s
    ORDER BY m.t, s.id  -- as Beat writes them: every SLO's snapshot of a minute together"""


def seed(n_slos: int, hours: int, at, again: bool) -> None:
    ours = SLO.objects.filter(service__name__startswith=PREFIX)
    if ours.count() == n_slos and not again:
        return
    print(f"seeding {n_slos} SLOs with {hours} h of minutely snapshots …", flush=True)
    began = time.perf_counter()
    ours.delete()
    services = [Service.objects.get_or_create(name=f"{PREFIX}-{i:02d}")[0] for i in range(20)]
    SLO.objects.bulk_create(
        SLO(service=services[i % 20], name=f"slo-{i:04d}", sli="ratio", objective="99.9",
            source="push", window="30d")
        for i in range(n_slos)
    )  # fmt: skip
    start = at - timezone.timedelta(hours=hours)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SNAPSHOTS_SQL, {"start": start, "end": at, "prefix": f"{PREFIX}-%"})
        cursor.execute("ANALYZE slo_snapshot; ANALYZE slo_slo")
    print(f"  seeded in {time.perf_counter() - began:.1f} s", flush=True)


def timed(
    client: Client, url: str, runs: int, cold: bool = False
) -> tuple[float, float, float]:
    """Median and max wall milliseconds of `runs` GETs after one warm-up, and the median CPU
    milliseconds of this process (Django's share, without waiting on PostgreSQL or on other
    jobs of a shared box)."""
    assert client.get(url).status_code in (200, 302), url
    wall, cpu = [], []
    for _ in range(runs):
        if cold:  # as on the first request after a Beat tick
            cache.clear()
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        assert response.status_code in (200, 302), (url, response.status_code)
    return statistics.median(wall), max(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slos", type=int, default=1000)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the rows again")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/dashboards.py seeds with generate_series: DATABASE_URL must be PostgreSQL")
    call_command("migrate", verbosity=0)
    seed(args.slos, args.hours, timegrain.floor_minute(timezone.now()), args.reseed)
    user, _ = get_user_model().objects.get_or_create(username="bench-staff",
                                                     defaults={"is_staff": True})  # fmt: skip
    client = Client()
    client.force_login(user)
    slo = SLO.objects.filter(service__name__startswith=PREFIX).order_by("pk").first()
    pages = {
        "reference: /dashboards/ (redirect, same stack)": "/dashboards/",
        f"overview, all {SLO.objects.count()} SLOs": "/dashboards/slo/",
        "overview, all, first request after a tick": "/dashboards/slo/?cold",
        "overview, one service (50 SLOs)": f"/dashboards/slo/?service={PREFIX}-00",
        "detail, 1-day range": f"/dashboards/slo/{slo.pk}/",
        "detail, 30-day window (sampled)": f"/dashboards/slo/{slo.pk}/?range=30d",
    }
    rows = Snapshot.objects.count()
    print(f"database: {connection.vendor}; snapshots: {rows:,}; runs per page: {args.runs}")
    for name, url in pages.items():
        median, worst, cpu = timed(client, url, args.runs, cold=url.endswith("?cold"))
        print(f"  {name:48s} median {median:7.1f} ms   max {worst:7.1f} ms   "
              f"CPU {cpu:6.1f} ms")  # fmt: skip
    print("targets (SPEC §10): overview ≤ 300 ms, detail ≤ 200 ms; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip


if __name__ == "__main__":
    main()
