"""Read side of /dashboards/slo/<id>/: one SLO's history over a chosen range, its alert
table and budget forecasts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from ingestion.timegrain import floor_minute
from runbooks.models import Runbook
from slo import budget
from slo.models import SLO, SLIMinute, Snapshot

from . import forecast

MAX_POINTS = 240
# Pyrra's presets: the SLO window down to one hour.
RANGES = {"7d": timedelta(days=7), "1d": timedelta(days=1), "12h": timedelta(hours=12),
          "6h": timedelta(hours=6), "1h": timedelta(hours=1)}  # fmt: skip
DEFAULT_RANGE = "1d"


@dataclass
class AlertRow:
    """One row of the Pyrra-style burn-rate alert table."""

    severity: str
    long_window: str
    short_window: str
    threshold: float
    exhaustion_hours: float  # how long the budget lasts at exactly the threshold
    long_burn: float | None
    short_burn: float | None
    firing: bool
    firing_since: datetime | None = None


@dataclass
class History:
    slo: SLO
    range_name: str
    start: datetime
    end: datetime
    snapshots: list[Snapshot]
    latest: Snapshot | None
    period_start: datetime
    period_end: datetime
    alert_rows: list[AlertRow] = field(default_factory=list)
    exhaustion: dict[str, float | None] = field(default_factory=dict)
    runbook: Runbook | None = None
    traffic: list[tuple[datetime, float, float]] = field(default_factory=list)


def range_options(slo: SLO) -> list[str]:
    return [slo.window, *[name for name in RANGES if name != slo.window]]


def range_length(slo: SLO, name: str, at: datetime) -> timedelta:
    if name == slo.window:
        return timedelta(hours=budget.period_hours(slo.window, at))
    return RANGES[name]


def sample_times(start: datetime, end: datetime) -> list[datetime] | None:
    """Minutes to read for a long range (an IN list on the unique key), or None for short
    ranges, which read every minute."""
    minutes = int((end - start).total_seconds() // 60)
    if minutes <= MAX_POINTS * 1.5:
        return None
    step = minutes // MAX_POINTS
    return [end - timedelta(minutes=step * i) for i in range(MAX_POINTS + 1)]


def snapshots_between(slo: SLO, start: datetime, end: datetime) -> list[Snapshot]:
    snaps = Snapshot.objects.filter(slo=slo)
    times = sample_times(start, end)
    if times is None:
        snaps = snaps.filter(evaluated_at__gte=start, evaluated_at__lte=end)
    else:
        snaps = snaps.filter(evaluated_at__in=times)
    return list(snaps.order_by("evaluated_at"))


def traffic(slo: SLO, start: datetime, end: datetime) -> list[tuple[datetime, float, float]]:
    """(minute, total, bad) per minute, as Pyrra's requests/errors graphs; minutes are kept
    for three days, so longer ranges show what is left."""
    rows = (
        SLIMinute.objects.filter(slo=slo, minute__gte=start, minute__lte=end)
        .values("minute")
        .annotate(good=Sum("good"), total=Sum("total"))
        .order_by("minute")
    )
    if sample_times(start, end) is None:
        return [(r["minute"], r["total"], r["total"] - r["good"]) for r in rows]
    step = (end - start) / MAX_POINTS
    buckets: dict[datetime, list[float]] = {}
    for r in rows:
        key = start + step * int((r["minute"] - start) / step)
        pair = buckets.setdefault(key, [0.0, 0.0])
        pair[0] += r["total"]
        pair[1] += r["total"] - r["good"]
    return [(at, total, bad) for at, (total, bad) in sorted(buckets.items())]


def alert_rows(slo: SLO, latest: Snapshot | None, history: list[Snapshot]) -> list[AlertRow]:
    at = latest.evaluated_at if latest else timezone.now()
    period = budget.period_hours(slo.window, at)
    rates = latest.burn_rates if latest else {}
    rows = []
    for rule in budget.alert_rules(period):
        windows = [rule.long_window, rule.short_window]
        firing = bool(latest) and any(a.get("windows") == windows for a in latest.alerts)
        rows.append(
            AlertRow(
                severity=rule.severity,
                long_window=rule.long_window,
                short_window=rule.short_window,
                threshold=rule.factor,
                exhaustion_hours=period / rule.factor,
                long_burn=rates.get(rule.long_window),
                short_burn=rates.get(rule.short_window),
                firing=firing,
                firing_since=_firing_since(windows, history) if firing else None,
            )
        )
    return rows


def _firing_since(windows: list[str], history: list[Snapshot]) -> datetime | None:
    since = None
    for snap in reversed(history):
        if not any(a.get("windows") == windows for a in snap.alerts):
            break
        since = snap.evaluated_at
    return since


def exhaustion(slo: SLO, latest: Snapshot | None) -> dict[str, float | None]:
    """Hours until the budget is gone at the current 1h and 6h burn rates."""
    if latest is None:
        return {"1h": None, "6h": None}
    period = budget.period_hours(slo.window, latest.evaluated_at)
    return {
        w: forecast.hours_to_exhaustion(latest.budget_remaining, latest.burn_rates.get(w), period)
        for w in ("1h", "6h")
    }


def history(slo: SLO, range_name: str) -> History:
    latest = Snapshot.objects.filter(slo=slo).order_by("-evaluated_at").first()
    end = latest.evaluated_at if latest else floor_minute(timezone.now())
    if range_name not in range_options(slo):
        range_name = DEFAULT_RANGE
    start = end - range_length(slo, range_name, end)
    snaps = snapshots_between(slo, start, end)
    period_start = budget.period_start(slo.window, end)
    period_end = period_start + timedelta(hours=budget.period_hours(slo.window, end))
    return History(
        slo=slo,
        range_name=range_name,
        start=start,
        end=end,
        snapshots=snaps,
        latest=latest,
        period_start=period_start,
        period_end=period_end,
        alert_rows=alert_rows(slo, latest, snaps),
        exhaustion=exhaustion(slo, latest),
        runbook=Runbook.objects.filter(slug=slo.runbook).first() if slo.runbook else None,
        traffic=traffic(slo, start, end),
    )
