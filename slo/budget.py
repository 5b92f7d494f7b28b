"""Error budgets and multiwindow burn rates (Google SRE Workbook, "Alerting on SLOs").

Pure functions over plain numbers and datetimes: no ORM, so they are tested with hypothesis.

* budget = 1 − objective (as a fraction of events, or of timeslices)
* burn rate(w) = bad fraction in w ÷ budget
* consumed = bad ÷ (total × budget);  remaining = 1 − consumed (negative once overspent)
* page when burn(1h) and burn(5m) > 14.4, or burn(6h) and burn(30m) > 6; ticket when
  burn(1d) and burn(2h) > 3, or burn(3d) and burn(6h) > 1 — for a 30-day period. Other periods
  keep the budget shares (2 %, 5 %, 10 %, 10 %): factor = share × period hours ÷ long-window hours.

"No data" (the source never reported) and "zero traffic" (it reported zero events) differ:
no data gives None everywhere; zero traffic burns nothing (burn 0, consumed 0) and has no SLI.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ingestion.timegrain import ceil_hour

BURN_WINDOWS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
    "2h": timedelta(hours=2),
    "6h": timedelta(hours=6),
    "1d": timedelta(days=1),
    "3d": timedelta(days=3),
}
ROLLING_DAYS = {"7d": 7, "14d": 14, "28d": 28, "30d": 30}
CALENDAR_MONTH = "calendar_month"


@dataclass(frozen=True)
class Counts:
    """Good and total events (or timeslices) over a window; has_data=False: nothing reported."""

    good: int = 0
    total: int = 0
    has_data: bool = True

    @property
    def bad(self) -> int:
        return self.total - self.good


NO_DATA = Counts(0, 0, has_data=False)


@dataclass(frozen=True)
class AlertRule:
    severity: str  # "page" or "ticket"
    long_window: str
    short_window: str
    budget_share: float
    factor: float


@dataclass(frozen=True)
class Alert:
    severity: str
    long_window: str
    short_window: str
    threshold: float
    burn_rates: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "windows": [self.long_window, self.short_window],
            "threshold": round(self.threshold, 6),
            "burn_rates": self.burn_rates,
        }


# (severity, long window, short window, share of the period's budget the long window may burn)
_POLICY = (
    ("page", "1h", "5m", 0.02),
    ("page", "6h", "30m", 0.05),
    ("ticket", "1d", "2h", 0.10),
    ("ticket", "3d", "6h", 0.10),
)


def error_budget(objective_percent: float) -> float:
    """The allowed bad fraction: 99.9 → 0.001."""
    if not 0 < objective_percent < 100:
        raise ValueError(f"objective {objective_percent} must be strictly between 0 and 100")
    return (100.0 - float(objective_percent)) / 100.0


def sli(counts: Counts) -> float | None:
    """Good ÷ total: traffic-weighted over the whole window. None without data or traffic."""
    if not counts.has_data or counts.total <= 0:
        return None
    return counts.good / counts.total


def bad_fraction(counts: Counts) -> float | None:
    if not counts.has_data:
        return None
    if counts.total <= 0:
        return 0.0
    return counts.bad / counts.total


def burn_rate(counts: Counts, objective_percent: float) -> float | None:
    fraction = bad_fraction(counts)
    if fraction is None:
        return None
    return fraction / error_budget(objective_percent)


def budget_consumed(counts: Counts, objective_percent: float) -> float | None:
    """Share of the period's budget spent: bad ÷ (total × budget). Zero traffic spends nothing."""
    if not counts.has_data:
        return None
    if counts.total <= 0:
        return 0.0
    return counts.bad / (counts.total * error_budget(objective_percent))


def budget_remaining(counts: Counts, objective_percent: float) -> float | None:
    consumed = budget_consumed(counts, objective_percent)
    return None if consumed is None else 1.0 - consumed


def consumed_by_burn(burn: float, hours: float, period_hours: float) -> float:
    """Budget share a steady burn rate spends in `hours` of a `period_hours` period."""
    return burn * hours / period_hours


def _hours(window: str) -> float:
    return BURN_WINDOWS[window].total_seconds() / 3600.0


def alert_rules(period_hours: float) -> list[AlertRule]:
    """The four multiwindow conditions with factors scaled to the SLO period."""
    return [
        AlertRule(sev, long, short, share, share * period_hours / _hours(long))
        for sev, long, short, share in _POLICY
    ]


def firing_alerts(burn_rates: dict[str, float | None], period_hours: float) -> list[Alert]:
    """Conditions whose long and short windows both burn faster than the factor."""
    firing = []
    for rule in alert_rules(period_hours):
        long, short = burn_rates.get(rule.long_window), burn_rates.get(rule.short_window)
        if long is not None and short is not None and long > rule.factor and short > rule.factor:
            rates = {rule.long_window: long, rule.short_window: short}
            firing.append(
                Alert(rule.severity, rule.long_window, rule.short_window, rule.factor, rates)
            )
    return firing


def status(period: Counts, remaining: float | None, alerts: list[Alert]) -> str:
    if not period.has_data:
        return "no_data"
    if remaining is not None and remaining < 0:
        return "breached"
    if alerts:
        return "at_risk"
    return "ok"


def timeslice(good: int, total: int, slice_target: float) -> Counts:
    """One minute as a timeslice: good when its own ratio meets the slice target; no traffic
    in the minute means the slice is not counted at all."""
    if total <= 0:
        return Counts(0, 0)
    # Parts per million, as the SQL does: 999/1000 meets 99.9 % despite float rounding.
    good_slice = good * 1_000_000 >= round(slice_target * 1_000_000) * total
    return Counts(1 if good_slice else 0, 1)


# --- SLO periods ----------------------------------------------------------------------------


def month_start(at: datetime) -> datetime:
    return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def period_hours(window: str, at: datetime) -> float:
    """Length of the SLO period in hours (a calendar month: the month that contains `at`)."""
    if window == CALENDAR_MONTH:
        return calendar.monthrange(at.year, at.month)[1] * 24.0
    return ROLLING_DAYS[window] * 24.0


def period_start(window: str, at: datetime) -> datetime:
    """Where the budget period begins. Rolling periods start on the hour after at − period,
    because older data is kept as hourly roll-ups (the period is at most 59 minutes short)."""
    if window == CALENDAR_MONTH:
        return month_start(at)
    return ceil_hour(at - timedelta(days=ROLLING_DAYS[window]))
