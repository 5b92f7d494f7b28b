"""Read side of /dashboards/capacity/: throughput per tier against the plan, queue depth and
enrichment lag, worker throughput, and the planner fed by measured costs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min
from django.db.models.functions import TruncMinute
from django.utils import timezone

from ingestion.models import DeadLetter, Mention, MentionStatus

from . import capacity_figures, planner
from .models import CapacityMeasurement, Component

RECENT = timedelta(hours=1)
DAY = timedelta(days=1)
MAX_MENTIONS_PER_DAY = 100_000_000
MAX_PEAK_RPS = 1_000_000.0


@dataclass(frozen=True)
class TierLoad:
    tier: planner.PlanTier
    mentions_last_day: int
    peak_mentions_per_s: float  # busiest minute of the last hour

    @property
    def day_share(self) -> float:
        return self.mentions_last_day / self.tier.mentions_per_day


def per_minute_by_tier(since: datetime) -> dict[str, dict[datetime, int]]:
    rows = (
        Mention.objects.filter(received_at__gte=since)
        .annotate(minute=TruncMinute("received_at"))
        .values("project__customer__tier", "minute")
        .annotate(n=Count("id"))
    )
    result: dict[str, dict[datetime, int]] = {t.name: {} for t in planner.PLAN_TIERS}
    for row in rows:
        result.setdefault(row["project__customer__tier"], {})[row["minute"]] = row["n"]
    return result


def tier_loads(now: datetime, recent: dict[str, dict[datetime, int]]) -> list[TierLoad]:
    daily = dict(
        Mention.objects.filter(received_at__gte=now - DAY)
        .values_list("project__customer__tier")
        .annotate(n=Count("id"))
    )
    return [
        TierLoad(t, daily.get(t.name, 0), max(recent.get(t.name, {}).values(), default=0) / 60)
        for t in planner.PLAN_TIERS
    ]


def enriched_per_minute(since: datetime) -> list[tuple[datetime, int, float]]:
    """(minute, mentions enriched, mean lag in seconds from receipt to enrichment)."""
    rows = (
        Mention.objects.filter(enriched_at__gte=since)
        .annotate(minute=TruncMinute("enriched_at"))
        .values("minute")
        .annotate(n=Count("id"))
        .order_by("minute")
    )
    lags: dict[datetime, list[float]] = {}
    for minute, received, enriched in (
        Mention.objects.filter(enriched_at__gte=since)
        .annotate(minute=TruncMinute("enriched_at"))
        .values_list("minute", "received_at", "enriched_at")
    ):
        lags.setdefault(minute, []).append((enriched - received).total_seconds())
    return [(r["minute"], r["n"], sum(lags[r["minute"]]) / len(lags[r["minute"]])) for r in rows]


def queue_now(now: datetime) -> dict[str, Any]:
    pending = Mention.objects.filter(status=MentionStatus.PENDING)
    oldest = pending.aggregate(t=Min("received_at"))["t"]
    return {
        "pending": pending.count(),
        # Clamped: rows received after `now` was taken are not waiting yet.
        "lag_seconds": max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
        "dead_letters": DeadLetter.objects.filter(replayed_at=None).count(),
    }


def latest_costs() -> dict[str, CapacityMeasurement | None]:
    return {
        c: CapacityMeasurement.objects.filter(component=c).order_by("-measured_at").first()
        for c in Component
    }


def planner_input(query: dict[str, str]) -> tuple[int, float]:
    """Mentions/day and peak req/s from the URL, clamped; the enterprise tier by default."""
    default = planner.PLAN_TIERS[-1]
    try:
        per_day = int(query.get("mentions_per_day") or default.mentions_per_day)
        peak = float(query.get("peak_rps") or default.peak_rps)
    except ValueError:
        per_day, peak = default.mentions_per_day, default.peak_rps
    return min(max(per_day, 0), MAX_MENTIONS_PER_DAY), min(max(peak, 0.0), MAX_PEAK_RPS)


def plans(query: dict[str, str], costs: dict[str, CapacityMeasurement | None]) -> dict:
    api, worker = costs[Component.API], costs[Component.WORKER]
    per_request = api.per_unit if api else None
    per_mention = worker.per_unit if worker else None
    per_day, peak = planner_input(query)
    return {
        "custom": planner.plan(per_day, peak, per_request, per_mention),
        "tiers": [(t, planner.plan(t.mentions_per_day, t.peak_rps, per_request, per_mention))
                  for t in planner.PLAN_TIERS],
    }  # fmt: skip


def page_context(query: dict[str, str]) -> dict[str, Any]:
    now = timezone.now()
    recent = per_minute_by_tier(now - RECENT)
    enriched = enriched_per_minute(now - RECENT)
    costs = latest_costs()
    return {
        "loads": tier_loads(now, recent),
        "queue": queue_now(now),
        "costs": costs,
        "plans": plans(query, costs),
        "query": planner_input(query),
        "figures": capacity_figures.figures(recent, enriched),
        "utilisation": planner.TARGET_UTILISATION,
        "burst": planner.BURST_FACTOR,
    }
