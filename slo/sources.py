"""SLI sources: each turns its raw signal into per-minute good/total rows (slo_sli_minute).

* telemetry  — the SIE's request buckets, matched to SLOs by route template and method
* queue lag  — the age of the oldest pending mention, sampled once a minute as a timeslice
* push       — good/total counts POSTed to /api/v1/slos/{id}/events
* prometheus — PromQL good_query / total_query, `$window` replaced by the bucket length
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import structlog
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from ingestion.models import Mention, MentionStatus
from ingestion.timegrain import floor_hour, floor_minute

from .buckets import Merge, db_time, minute_cutoff, roll_up_hours, write_hour_minutes, write_minutes
from .models import REQUEST_RETENTION, SLO, SLIHour, SLIKind, SLIMinute, Source

log = structlog.get_logger(__name__)

MINUTE = timedelta(minutes=1)
# Telemetry of a minute keeps arriving for a few seconds after it ends (processes flush
# every few seconds), so every tick recomputes the last few minutes, not just the last one.
TELEMETRY_LOOKBACK_MINUTES = 5
SAMPLE_MAX_SKEW = timedelta(minutes=2)
ANY = "*"

# Good requests per SLI kind, over slo_request_bucket rows `r` joined to the route map `map`.
_GOOD_REQUEST_SQL = """
    CASE WHEN (map.kind = 'availability' AND r.status_class <> '5xx')
           OR (map.kind = 'error_rate' AND r.status_class NOT IN ('5xx', '429'))
           OR (map.kind = 'latency' AND r.le_ms <= map.threshold_ms)
         THEN r.n ELSE 0 END
"""


def collect(at: datetime, now: datetime) -> None:
    """Bring every source's minutes up to `at`, then refresh the hours they touched."""
    sample_queue_lag(at, now)
    first = derive_telemetry(at)
    fetch_prometheus(at)
    roll_up_finished_hour(at)
    recent = at - timedelta(minutes=TELEMETRY_LOOKBACK_MINUTES)
    if first < recent:  # minutes rebuilt after Beat was down: only telemetry SLOs' hours
        hours, hour = set(), floor_hour(first)
        while hour < floor_hour(recent):
            hours.add(hour)
            hour += timedelta(hours=1)
        telemetry = SLO.objects.filter(source=Source.TELEMETRY).exclude(sli=SLIKind.QUEUE_LAG)
        roll_up_hours(hours, list(telemetry.values_list("pk", flat=True)))


def roll_up_finished_hour(at: datetime) -> None:
    """Roll up the hour before this one for the sources the tick itself writes (telemetry,
    queue lag, Prometheus): while telemetry of its last minutes can still change (the first
    ticks of an hour), or when no tick has rolled it up yet (Beat was down at the top of the
    hour). This hour is read from its minutes, and pushed counts roll up their own hours as
    they are written, so an ordinary tick rolls up nothing."""
    hour_at = floor_hour(at)
    previous = hour_at - timedelta(hours=1)
    sourced = list(SLO.objects.exclude(source=Source.PUSH).values_list("pk", flat=True))
    if not sourced:
        return
    settling = floor_hour(at - timedelta(minutes=TELEMETRY_LOOKBACK_MINUTES)) < hour_at
    if settling or not SLIHour.objects.filter(hour=previous, slo_id__in=sourced).exists():
        roll_up_hours({previous}, sourced)


def _route_map(slos: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    rows, params = [], []
    for slo in slos:
        for route in slo["routes"] or [ANY]:
            for method in slo["methods"] or [ANY]:
                rows.append("(%s, %s, %s, %s, %s)")
                threshold = slo["threshold_ms"] if slo["threshold_ms"] is not None else -1
                params += [slo["id"], route, method.upper(), slo["sli"], threshold]
    return ", ".join(rows), params


def _telemetry_start(at: datetime, slo_ids: list[int]) -> datetime:
    """Where this tick's telemetry derivation begins: the last few minutes, or — after Beat
    was down — the minute after the last one derived, as far back as request buckets go."""
    start = at - timedelta(minutes=TELEMETRY_LOOKBACK_MINUTES)
    # One SLO at a time: each is a backward step on the (slo, minute) key. As one query over
    # all of them PostgreSQL walks the minute index back until it meets one of their rows —
    # through every other SLO's minutes (tens of millions at 10,000 SLOs) when they have none.
    lasts = [
        SLIMinute.objects.filter(slo_id=slo_id, minute__lt=at).aggregate(last=Max("minute"))["last"]
        for slo_id in slo_ids
    ]
    last = max((minute for minute in lasts if minute is not None), default=None)
    if last is None or last + MINUTE >= start:
        return start
    return max(last + MINUTE, floor_minute(at - REQUEST_RETENTION))


def derive_telemetry(at: datetime) -> datetime:
    """Recompute every telemetry SLO's minutes since the last tick (at least the last few)
    from the request buckets; a minute without matching requests is written as zero
    traffic, not left as no data. Returns the first minute recomputed."""
    slos = list(
        SLO.objects.filter(source=Source.TELEMETRY)
        .exclude(sli=SLIKind.QUEUE_LAG)
        .values("id", "sli", "threshold_ms", "routes", "methods")
    )
    start = at - timedelta(minutes=TELEMETRY_LOOKBACK_MINUTES)
    if not slos:
        return start
    values, params = _route_map(slos)
    start = _telemetry_start(at, [slo["id"] for slo in slos])
    sql = f"""
        WITH map (slo_id, route, method, kind, threshold_ms) AS (VALUES {values})
        INSERT INTO slo_sli_minute (slo_id, minute, good, total)
        SELECT map.slo_id, r.minute, SUM({_GOOD_REQUEST_SQL}), SUM(r.n)
        FROM map JOIN slo_request_bucket r
          ON (map.route = '{ANY}' OR r.route = map.route)
         AND (map.method = '{ANY}' OR r.method = map.method)
        WHERE r.minute >= %s AND r.minute < %s
        GROUP BY map.slo_id, r.minute
        ON CONFLICT (slo_id, minute) DO UPDATE SET good = excluded.good, total = excluded.total
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [*params, db_time(start), db_time(at)])
        count = int((at - start) / MINUTE)
        minutes = [start + i * MINUTE for i in range(count)]
        zeros = [(slo["id"], minute, 0.0, 0.0) for slo in slos for minute in minutes]
        write_minutes(zeros, Merge.KEEP)
    return start


def queue_lag_ms(at: datetime) -> float:
    oldest = Mention.objects.filter(status=MentionStatus.PENDING).aggregate(t=Min("received_at"))
    if oldest["t"] is None:
        return 0.0
    return max(0.0, (at - oldest["t"]).total_seconds() * 1000.0)


def sample_queue_lag(at: datetime, now: datetime) -> None:
    """One timeslice for the minute ending at `at`: good when the lag is under threshold.
    The queue can only be sampled now, so a re-evaluation of the past writes nothing."""
    if abs(now - at) > SAMPLE_MAX_SKEW:
        return
    slos = SLO.objects.filter(source=Source.TELEMETRY, sli=SLIKind.QUEUE_LAG)
    thresholds = list(slos.values_list("id", "threshold_ms"))
    if not thresholds:
        return
    lag = queue_lag_ms(now)
    rows = [(slo_id, at - MINUTE, 1.0 if lag < limit else 0.0, 1.0) for slo_id, limit in thresholds]
    write_minutes(rows, Merge.REPLACE)


# --- push -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    timestamp: datetime
    good: int
    total: int


def record_events(slo: SLO, events: Sequence[Event], merge: Merge = Merge.ADD) -> int:
    """Add (or replace) pushed counts in their minutes and refresh those hours, in one
    transaction; minutes already pruned go straight into their hours. Returns minutes
    touched. Events of the same minute in one request are summed first."""
    per_minute: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    for event in events:
        counts = per_minute[floor_minute(event.timestamp).astimezone(UTC)]
        counts[0] += event.good
        counts[1] += event.total
    cutoff = minute_cutoff(timezone.now())
    recent = [(slo.pk, m, float(g), float(t)) for m, (g, t) in per_minute.items() if m >= cutoff]
    old = [(m, float(g), float(t)) for m, (g, t) in per_minute.items() if m < cutoff]
    with transaction.atomic():
        write_minutes(recent, merge)
        roll_up_hours({floor_hour(row[1]) for row in recent}, [slo.pk])
        write_hour_minutes(slo, old, merge)
    return len(per_minute)


# --- Prometheus -----------------------------------------------------------------------------


class PrometheusError(Exception):
    pass


def promql(query: str, window: str) -> str:
    """A query with its `$window` placeholder filled in (e.g. increase(x[$window]))."""
    return query.replace("$window", window)


def query_instant(base_url: str, query: str, at: datetime) -> float | None:
    """The value of an instant query at `at` (a vector is summed); None when it is empty."""
    try:
        response = requests.get(
            f"{base_url}/api/v1/query",
            params={"query": query, "time": f"{at.timestamp():.3f}"},
            timeout=settings.SIE_PROMETHEUS_TIMEOUT,
        )
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise PrometheusError(f"{base_url}: {exc}") from exc
    if body.get("status") != "success":
        raise PrometheusError(f"{body.get('errorType')}: {body.get('error')}")
    data = body["data"]
    if data["resultType"] == "scalar":
        return float(data["result"][1])
    if data["resultType"] != "vector":
        raise PrometheusError(f"expected a vector, got {data['resultType']}")
    if not data["result"]:
        return None
    return sum(float(sample["value"][1]) for sample in data["result"])


# `increase(x[1m])` read once a minute is usually empty: with the default 60 s scrape interval
# a 1-minute range holds one sample, and increase() needs two. A minute is read as the
# increase over the last 2 minutes, halved — two samples always — so no minute goes missing
# (missing clean minutes inflated burn rates: 50 lost, 10 at 2 % → burn(1h) 20, not 3.33).
# Each event is then counted half in each of two minutes; windows of 5 m and more sum right.
MINUTE_RANGE, MINUTE_RANGE_MINUTES = "2m", 2


def read_minute(base_url: str, slo: SLO, at: datetime) -> tuple[float, float] | None:
    """(good, total) of the minute ending at `at`; None when either query is empty."""
    good = query_instant(base_url, promql(slo.good_query, MINUTE_RANGE), at)
    total = query_instant(base_url, promql(slo.total_query, MINUTE_RANGE), at)
    if good is None or total is None:
        return None
    total = max(total, 0.0) / MINUTE_RANGE_MINUTES
    return min(max(good, 0.0) / MINUTE_RANGE_MINUTES, total), total


def fetch_prometheus(at: datetime) -> None:
    """Good and total of the minute ending at `at` for every Prometheus SLO, queried by a
    bounded pool within a per-tick time budget, so one slow query cannot delay the other
    SLOs' snapshots. An SLO whose queries fail, come back empty or late gets no row (no
    data), never a made-up zero."""
    slos = list(SLO.objects.filter(source=Source.PROMETHEUS))
    if not slos:
        return
    base_url = settings.SIE_PROMETHEUS_URL
    pool = ThreadPoolExecutor(
        max_workers=min(settings.SIE_PROMETHEUS_CONCURRENCY, len(slos)),
        thread_name_prefix="slo-prometheus",
    )
    futures = {pool.submit(read_minute, base_url, slo, at): slo.pk for slo in slos}
    done, late = wait(futures, timeout=settings.SIE_PROMETHEUS_TICK_BUDGET)
    pool.shutdown(wait=False, cancel_futures=True)  # late queries end on their own timeout
    if late:
        log.warning("prometheus tick budget spent", late=len(late), slo_ids=sorted(
            futures[f] for f in late))  # fmt: skip
    rows = []
    for future in done:
        try:
            counts = future.result()
        except PrometheusError as exc:
            log.warning("prometheus query failed", slo_id=futures[future], error=str(exc))
            continue
        if counts is not None:
            rows.append((futures[future], at - MINUTE, *counts))
    write_minutes(sorted(rows), Merge.REPLACE)
