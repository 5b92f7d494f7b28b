"""Alert-rule evaluation benchmark: the incidents half of one Beat tick over N SLOs.

Seeds N push SLOs with 2 h of per-minute data, one in ten burning at 20× (2 % bad against
99.9 %), then times, in the same run: the SLO evaluation (reference: slo.evaluation), the
first alert evaluation (opens N/10 page + N/10 ticket alerts and incidents, queues the
triggers) and a steady-state one (nothing changes). PostgreSQL only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB .venv/bin/python bench/alert_tick.py
"""

from __future__ import annotations

import argparse
import os
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
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from incidents import alerting  # noqa: E402
from incidents.models import Incident, OutboxEvent  # noqa: E402
from ingestion import timegrain  # noqa: E402
from slo import buckets, evaluation  # noqa: E402
from slo.models import SLO, Service  # noqa: E402

SERVICE = "bench-alerts"


def seed(count: int, at) -> None:
    Service.objects.filter(name=SERVICE).delete()
    service = Service.objects.create(name=SERVICE, routing_key="B" * 32)
    SLO.objects.bulk_create(
        SLO(service=service, name=f"slo-{i}", sli="ratio", objective=99.9, source="push")
        for i in range(count)
    )
    with connection.cursor() as cursor:  # 1 in 10 SLOs burns at 20x: 20 bad of 1000
        cursor.execute(
            """INSERT INTO slo_sli_minute (slo_id, minute, good, total)
               SELECT s.id, m.t, CASE WHEN s.id %% 10 = 0 THEN 980 ELSE 1000 END, 1000
               FROM slo_slo s, generate_series(%s::timestamptz, %s::timestamptz
                    - interval '1 minute', interval '1 minute') AS m(t)
               WHERE s.service_id = %s""",
            [at - timedelta(hours=2), at, service.pk],
        )
    ids = list(SLO.objects.filter(service=service).values_list("pk", flat=True))
    hours = {timegrain.floor_hour(at - timedelta(minutes=m)) for m in range(0, 121, 30)}
    buckets.roll_up_hours(hours, ids)


def timed(label: str, fn) -> float:
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds * 1000:8.0f} ms   ({result})")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slos", type=int, default=1000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only (set DATABASE_URL)")
    call_command("migrate", verbosity=0)
    at = timegrain.floor_minute(timezone.now())
    seed(args.slos, at)
    alerting.retire_orphans(at)  # a previous run's alerts (their SLOs were just deleted)
    before = Incident.objects.count(), OutboxEvent.objects.count()
    print(f"{args.slos} SLOs, {args.slos // 10} burning at 20x")
    # As incidents.tick does: the alert rules judge the snapshots the SLO half just made.
    timed("reference: slo evaluate_all (snapshots)", lambda: len(evaluation.evaluate_all(at)))
    snapshots = evaluation.compute(at)  # the same snapshots, as the tick holds them
    timed("alerting.evaluate, first tick (opens)", lambda: alerting.evaluate(at, snapshots))
    opened = Incident.objects.count() - before[0], OutboxEvent.objects.count() - before[1]
    print(f"  incidents opened {opened[0]}, triggers queued {opened[1]}")
    later = at + timedelta(minutes=1)
    timed("reference: slo evaluate_all, next minute", lambda: len(evaluation.evaluate_all(later)))
    snapshots = evaluation.compute(later)
    timed("alerting.evaluate, steady tick", lambda: alerting.evaluate(later, snapshots))


if __name__ == "__main__":
    main()
