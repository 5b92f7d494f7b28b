"""Read side of /dashboards/slo/: every SLO's latest snapshot, worst first, with sparklines.

Sized for 1,000 SLOs: one query finds each SLO's latest snapshot id (an index probe per SLO on
snapshot_latest), one fetches those rows, one fetches the sparkline samples by exact minute
(an IN list on the evaluated_at index, not a scan of a day of minutely snapshots).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.postgres.aggregates import ArrayAgg
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, IntegerField, Min, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone

from slo.models import SLO, Snapshot, Status

from . import sparkline

SPARK_SPAN = timedelta(hours=24)
SPARK_POINTS = 16
SPARK_CACHE_SECONDS = 120
# Worst first: breached, then at risk, then SLOs that report nothing, then healthy ones.
STATUS_RANK = {Status.BREACHED: 0, Status.AT_RISK: 1, Status.NO_DATA: 2, Status.OK: 3}
SHOWN_BURN_WINDOWS = ("5m", "1h", "6h", "3d")


@dataclass
class Filters:
    service: str = ""
    status: str = ""
    firing: bool = False  # Sloth: only SLOs with a firing alert
    budget_below: float | None = None  # Sloth: budget remaining under this fraction

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Filters:
        below = query.get("budget_below", "").strip()
        try:
            budget_below = float(below) / 100.0 if below else None
        except ValueError:
            budget_below = None
        status = query.get("status", "")
        return cls(
            service=query.get("service", "").strip(),
            status=status if status in STATUS_RANK else "",
            firing=query.get("firing") in {"1", "on", "true"},
            budget_below=budget_below,
        )


@dataclass
class Row:
    slo: SLO
    snapshot: Snapshot | None
    spark: str = ""
    open_incidents: int = 0
    burn: list[tuple[str, float | None]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.snapshot.status if self.snapshot else Status.NO_DATA

    @property
    def remaining(self) -> float | None:
        return self.snapshot.budget_remaining if self.snapshot else None

    def sort_key(self) -> tuple:
        remaining = self.remaining
        return (STATUS_RANK[self.status], 1e9 if remaining is None else remaining, str(self.slo))


# Below this many SLOs (a filtered page) reads name the SLOs; above it, one index range on the
# tick is cheaper than a long IN list.
FEW_SLOS = 200
SNAPSHOT_FIELDS = ("slo_id", "evaluated_at", "status", "sli", "budget_remaining",
                   "burn_rates", "alerts")  # fmt: skip


def newest_evaluation() -> datetime | None:
    return Snapshot.objects.order_by("-evaluated_at").values_list("evaluated_at", flat=True).first()


def latest_snapshots(slos: list[SLO], newest: datetime | None) -> dict[int, Snapshot]:
    """The newest snapshot of each SLO, keyed by SLO id.

    Beat evaluates every SLO in the same tick, so the newest tick's rows (one index range)
    cover nearly all of them; only SLOs missing from it pay a per-SLO index probe.
    """
    ids = {s.pk for s in slos}
    found: dict[int, Snapshot] = {}
    if newest is not None:
        tick = Snapshot.objects.filter(evaluated_at=newest).only(*SNAPSHOT_FIELDS)
        if len(ids) < FEW_SLOS:
            tick = tick.filter(slo_id__in=ids)
        found = {snap.slo_id: snap for snap in tick if snap.slo_id in ids}
    missing = ids - found.keys()
    if missing:
        latest = Snapshot.objects.filter(slo=OuterRef("pk")).order_by("-evaluated_at")
        latest_ids = (
            SLO.objects.filter(pk__in=missing)
            .annotate(latest_id=Subquery(latest.values("pk")[:1]))
            .values_list("latest_id", flat=True)
        )
        older = Snapshot.objects.only(*SNAPSHOT_FIELDS).in_bulk([i for i in latest_ids if i])
        found.update({snap.slo_id: snap for snap in older.values()})
    return found


def spark_times(now: datetime, newest: datetime | None) -> list[datetime]:
    """SPARK_POINTS minutes from the oldest snapshot of the last day up to the newest, evenly
    spaced, so a system started a minute ago still gets a line from what it has."""
    since = now - SPARK_SPAN
    oldest = Snapshot.objects.filter(evaluated_at__gte=since).aggregate(t=Min("evaluated_at"))["t"]
    if oldest is None or newest is None:
        return []
    step = (newest - oldest) / max(SPARK_POINTS - 1, 1)
    times = {
        (oldest + step * i).replace(second=0, microsecond=0) for i in range(SPARK_POINTS)
    }
    return sorted(times | {newest})


def sparklines(slo_ids: list[int], now: datetime, newest: datetime | None) -> dict[int, str]:
    """Budget sparklines per SLO. They change only when Beat writes a new tick, so they are
    cached under the newest tick's time (and the SLOs asked for): every refresh between two
    ticks reuses them, the first request after a tick computes them."""
    if newest is None:
        return {}
    ids = sorted(slo_ids)
    digest = hashlib.blake2b(repr(ids).encode(), digest_size=8).hexdigest()
    key = f"dashboards:spark:{newest.isoformat()}:{digest}"
    lines = cache.get(key)
    if lines is None:
        lines = _compute_sparklines(ids, now, newest)
        cache.set(key, lines, SPARK_CACHE_SECONDS)
    return lines


def _compute_sparklines(slo_ids: list[int], now: datetime, newest: datetime) -> dict[int, str]:
    times = spark_times(now, newest)
    if not times:
        return {}
    # The sample's position is computed in SQL: parsing 16,000 timestamps in Python costs
    # more than the query itself.
    position = Case(*[When(evaluated_at=t, then=Value(i)) for i, t in enumerate(times)],
                    output_field=IntegerField())  # fmt: skip
    samples = Snapshot.objects.filter(evaluated_at__in=times)
    if len(slo_ids) < FEW_SLOS:
        samples = samples.filter(slo_id__in=slo_ids)
    samples = samples.annotate(pos=position)
    wanted = set(slo_ids)
    series: dict[int, list[float | None]] = {i: [None] * len(times) for i in slo_ids}
    for slo_id, positions, values in _per_slo(samples):
        if slo_id in wanted:
            line = series[slo_id]
            for pos, remaining in zip(positions, values, strict=True):
                line[pos] = remaining
    return {slo_id: sparkline.points(values) for slo_id, values in series.items()}


def _per_slo(samples: QuerySet[Snapshot]) -> Iterator[tuple[int, list[int], list[float]]]:
    """(slo_id, positions, values): PostgreSQL aggregates each SLO's samples into two arrays
    (1,000 rows instead of 16,000 to fetch); other databases group in Python."""
    if connection.vendor == "postgresql":
        grouped = samples.values("slo_id").annotate(
            positions=ArrayAgg("pos", order_by="pos"),
            values=ArrayAgg("budget_remaining", order_by="pos"),
        )
        yield from grouped.values_list("slo_id", "positions", "values")
        return
    by_slo: dict[int, tuple[list[int], list[float]]] = {}
    for slo_id, pos, remaining in samples.values_list("slo_id", "pos", "budget_remaining"):
        positions, values = by_slo.setdefault(slo_id, ([], []))
        positions.append(pos)
        values.append(remaining)
    for slo_id, (positions, values) in by_slo.items():
        yield slo_id, positions, values


def rows(filters: Filters, open_incidents: dict[int, int] | None = None) -> list[Row]:
    """Every SLO matching the filters, worst first."""
    slos = (
        SLO.objects.select_related("service")
        .only("name", "display_name", "window", "objective", "runbook", "service__name")
        .order_by("service__name", "name")
    )
    if filters.service:
        slos = slos.filter(service__name=filters.service)
    slos = list(slos)
    newest = newest_evaluation()
    latest = latest_snapshots(slos, newest)
    result = [Row(slo, latest.get(slo.pk)) for slo in slos]
    result = [row for row in result if _matches(row, filters)]
    lines = sparklines([row.slo.pk for row in result], timezone.now(), newest)
    for row in result:
        row.spark = lines.get(row.slo.pk, "")
        row.open_incidents = (open_incidents or {}).get(row.slo.pk, 0)
        rates = row.snapshot.burn_rates if row.snapshot else {}
        row.burn = [(w, rates.get(w)) for w in SHOWN_BURN_WINDOWS]
    return sorted(result, key=Row.sort_key)


def _matches(row: Row, filters: Filters) -> bool:
    if filters.status and row.status != filters.status:
        return False
    if filters.firing and not (row.snapshot and row.snapshot.alerts):
        return False
    if filters.budget_below is not None:
        return row.remaining is not None and row.remaining < filters.budget_below
    return True


def summary(all_rows: list[Row]) -> dict[str, int]:
    counts = {status: 0 for status in STATUS_RANK}
    for row in all_rows:
        counts[row.status] += 1
    return counts
