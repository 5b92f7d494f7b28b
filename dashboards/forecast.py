"""Error-budget forecasts: pure arithmetic over plain numbers (no ORM).

At a steady burn rate b, a period of P hours spends b / P of its budget per hour (burn 1 spends
exactly the whole budget over the period), so what remains lasts remaining × P / b hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def hours_to_exhaustion(
    remaining: float | None, burn_rate: float | None, period_hours: float
) -> float | None:
    """Hours until the budget is gone at this pace; 0 when already spent, None when the
    burn is zero or unknown (it never runs out at that pace)."""
    if remaining is None or burn_rate is None:
        return None
    if remaining <= 0:
        return 0.0
    if burn_rate <= 0:
        return None
    return remaining * period_hours / burn_rate


def exhaustion_at(now: datetime, hours: float | None) -> datetime | None:
    return None if hours is None else now + timedelta(hours=hours)


def ideal_remaining(start: datetime, end: datetime, at: datetime) -> float:
    """The straight burn-down line: 1.0 at the period start, 0.0 at its end."""
    total = (end - start).total_seconds()
    if total <= 0:
        return 0.0
    elapsed = min(max((at - start).total_seconds(), 0.0), total)
    return 1.0 - elapsed / total


def humanize_hours(hours: float | None) -> str:
    """'never' / 'now' / '45m' / '7.5h' / '12.3d' for tables and tiles."""
    if hours is None:
        return "never"
    if hours <= 0:
        return "now"
    if hours < 1:
        return f"{hours * 60:.0f}m"
    if hours < 48:
        return f"{hours:.1f}h"
    return f"{hours / 24:.1f}d"


def steady_spend(start_value: float, start: datetime, at: datetime, period_hours: float) -> float:
    """A rolling window's ideal line: from `start_value`, spending at burn rate 1 (the whole
    budget over one period), what would remain at `at`."""
    return start_value - (at - start).total_seconds() / 3600.0 / period_hours
