"""One SLO's history as a per-minute timeline with prefix sums: any window's good/total is
two subtractions. Used by backtests and by replays of moments whose minute rows are gone.

Minutes come from minute rows while they are kept, then from the minutes each hourly
bucket keeps; an hour without minutes (a Prometheus backfill in hour steps) is spread
evenly over its 60 minutes. Timeslice SLOs get one slice per minute with traffic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from ingestion.timegrain import floor_hour

from . import budget
from .models import SLO, Budgeting, SLIHour, SLIMinute

MINUTE = timedelta(minutes=1)


@dataclass
class History:
    """Per-minute good/total from `origin` on, with prefix sums for any window."""

    origin: datetime
    good: list[float]
    total: list[float]
    seen: list[int]  # 1 where the minute has a row (zero traffic is data; a gap is not)

    def __post_init__(self) -> None:
        self.cum_good = [0.0, *accumulate(self.good)]
        self.cum_total = [0.0, *accumulate(self.total)]
        self.cum_seen = [0, *accumulate(self.seen)]

    def index(self, at: datetime) -> int:
        return int((at - self.origin) / MINUTE)

    def sums(self, k: int, width: int) -> tuple[float, float, int]:
        """good, total and minutes with rows over the `width` minutes before moment k."""
        j = max(k - width, 0)
        return (
            self.cum_good[k] - self.cum_good[j],
            self.cum_total[k] - self.cum_total[j],
            self.cum_seen[k] - self.cum_seen[j],
        )


def load_history(slo: SLO, origin: datetime, end: datetime) -> History:
    """Minutes [origin, end) of one SLO (timeslice SLOs: one slice per minute with traffic)."""
    size = History(origin, [], [], []).index(end)
    good, total, seen = [0.0] * size, [0.0] * size, [0] * size
    target = float(slo.slice_target)
    slices = slo.budgeting == Budgeting.TIMESLICES

    def put(i: int, g: float, t: float) -> None:
        if 0 <= i < size:
            if slices:
                verdict = budget.timeslice(g, t, target)
                g, t = verdict.good, verdict.total
            good[i], total[i], seen[i] = g, t, 1

    for hour in SLIHour.objects.filter(slo=slo, hour__gte=floor_hour(origin), hour__lt=end):
        base = int((hour.hour - origin) / MINUTE)
        if hour.minutes:
            for minute, (g, t) in hour.minutes.items():
                put(base + int(minute), g, t)
            continue
        g, t = (hour.good_slices, hour.total_slices) if slices else (hour.good, hour.total)
        for i in range(base, base + 60):  # hour resolution: spread evenly
            if 0 <= i < size:
                good[i], total[i], seen[i] = g / 60, t / 60, 1
    rows = SLIMinute.objects.filter(slo=slo, minute__gte=origin, minute__lt=end)
    for minute, g, t in rows.values_list("minute", "good", "total"):
        put(int((minute - origin) / MINUTE), g, t)
    return History(origin, good, total, seen)
