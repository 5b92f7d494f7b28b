"""Error budgets and multiwindow burn rates (Google SRE Workbook, "Alerting on SLOs").

Pure functions over plain numbers and datetimes: no ORM, so they are tested with hypothesis.

* budget = 1 − objective (as a fraction of events, or of timeslices)
* burn rate(w) = bad fraction in w ÷ budget
* consumed = bad ÷ (total × budget);  remaining = 1 − consumed (negative once overspent)
* page when burn(1h) and burn(5m) > 14.4, or burn(6h) and burn(30m) > 6; ticket when
  burn(1d) and burn(2h) > 3, or burn(3d) and burn(6h) > 1 — for a 30-day period. Other periods
  keep the budget shares (2 %, 5 %, 10 %, 10 %): factor = share × period hours ÷ long-window hours,
  but never below 1: a factor under 1 (7d: 0.233 and 0.467) would ticket on a budget that is
  going to end the period half unspent. So on a 7-day SLO the 1d/3d tickets fire at burn 1
  (the whole budget gone by the period's end), on 14 days the 3d ticket does.

The budget is taken in integer parts per million (99.9 → 1000 ppm; objectives have at most 4
decimals, so this is exact): 100 − 99.9 in floats is 0.0999999999999943, which made a budget
spent exactly read −5.7e-14 ("breached") and a burn of exactly 14.4 read 14.400000000000817.

"No data" (the source never reported) and "zero traffic" (it reported zero events) differ:
no data gives None everywhere; zero traffic burns nothing (burn 0, consumed 0) and has no SLI.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

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
NOMINAL_MONTH_DAYS = 30  # for warnings about a calendar-month SLO as a whole


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
    name: str = "burn_rate"  # or "no_data": the source went silent

    def as_dict(self) -> dict[str, object]:
        windows = [self.long_window, self.short_window] if self.short_window else [self.long_window]
        return {
            "severity": self.severity,
            "windows": windows,
            "threshold": round(self.threshold, 6),
            "burn_rates": self.burn_rates,
            "name": self.name,
        }


def no_data_alert(silence_minutes: int) -> Alert:
    """No event row for `silence_minutes`: the burn windows are empty, so no burn-rate
    condition can fire however bad things are (Pyrra's SLOMetricAbsent). A ticket, not a
    page: silence is not proof of harm, but it blinds every page of this SLO."""
    return Alert("ticket", f"{silence_minutes}m", "", float(silence_minutes), name="no_data")


# (severity, long window, short window, share of the period's budget the long window may burn)
_POLICY = (
    ("page", "1h", "5m", Fraction(2, 100)),
    ("page", "6h", "30m", Fraction(5, 100)),
    ("ticket", "1d", "2h", Fraction(10, 100)),
    ("ticket", "3d", "6h", Fraction(10, 100)),
)
MIN_FACTOR = Fraction(1)


def budget_ppm(objective_percent: float | Decimal) -> int:
    """The allowed bad fraction in parts per million, exactly: 99.9 → 1000."""
    return _budget_ppm(str(objective_percent))


@lru_cache(maxsize=4096)  # a tick asks ~10 times per SLO, and objectives repeat
def _budget_ppm(text: str) -> int:
    objective = Decimal(text)
    if not 0 < objective < 100:
        raise ValueError(f"objective {text} must be strictly between 0 and 100")
    ppm = (100 - objective) * 10_000
    if ppm != ppm.to_integral_value():
        raise ValueError(f"objective {text} has more than 4 decimals")
    return int(ppm)


def error_budget(objective_percent: float | Decimal) -> float:
    """The allowed bad fraction: 99.9 → 0.001 (the float nearest the exact value)."""
    return budget_ppm(objective_percent) / 1_000_000


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


def _spent(counts: Counts, objective_percent: float | Decimal) -> float:
    # bad × 10⁶ ÷ (total × ppm): one rounding, so 144 bad of 10,000 at 99.9 is exactly 14.4.
    return counts.bad * 1_000_000 / (counts.total * budget_ppm(objective_percent))


def burn_rate(counts: Counts, objective_percent: float | Decimal) -> float | None:
    """Bad fraction ÷ budget; None without data, 0 for zero traffic."""
    if not counts.has_data:
        return None
    return 0.0 if counts.total <= 0 else _spent(counts, objective_percent)


def budget_consumed(counts: Counts, objective_percent: float | Decimal) -> float | None:
    """Share of the period's budget spent: bad ÷ (total × budget). Zero traffic spends nothing."""
    return burn_rate(counts, objective_percent)


def budget_remaining(counts: Counts, objective_percent: float) -> float | None:
    consumed = budget_consumed(counts, objective_percent)
    return None if consumed is None else 1.0 - consumed


def consumed_by_burn(burn: float, hours: float, period_hours: float) -> float:
    """Budget share a steady burn rate spends in `hours` of a `period_hours` period."""
    return burn * hours / period_hours


@lru_cache(maxsize=64)  # one per period length; exact Fraction arithmetic is not free
def alert_rules(period_hours: float) -> tuple[AlertRule, ...]:
    """The four multiwindow conditions with factors scaled to the SLO period (at least 1)."""
    hours = Fraction(period_hours).limit_denominator(1000)
    rules = []
    for sev, long, short, share in _POLICY:
        long_hours = Fraction(BURN_WINDOWS[long].total_seconds() / 3600).limit_denominator(60)
        factor = max(share * hours / long_hours, MIN_FACTOR)
        rules.append(AlertRule(sev, long, short, float(share), float(factor)))
    return tuple(rules)


def max_burn(objective_percent: float | Decimal) -> float:
    """The burn of a total outage (every event bad): 1 ÷ budget."""
    return 1_000_000 / budget_ppm(objective_percent)


def unreachable_severities(objective_percent: float | Decimal, period_hours: float) -> list[str]:
    """Severities none of whose conditions can fire: even a total outage burns at most
    1 ÷ budget (at or below 93.06 % that is under 14.4, so nothing ever pages)."""
    ceiling = max_burn(objective_percent)
    reachable = {r.severity for r in alert_rules(period_hours) if ceiling > r.factor}
    return [sev for sev in ("page", "ticket") if sev not in reachable]


def unreachable_warning(objective_percent: float | Decimal, window: str) -> str | None:
    """A sentence for the user when some severity can never fire (None when all can)."""
    hours = ROLLING_DAYS.get(window, NOMINAL_MONTH_DAYS) * 24.0
    severities = unreachable_severities(objective_percent, hours)
    if not severities:
        return None
    objective = Decimal(str(objective_percent)).normalize()
    return f"at {objective:f}% a {' or '.join(severities)} can never fire"


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
    """Where the budget period begins: the 1st of the month, or exactly at − period (its
    first, partial hour is counted from the minutes that hour keeps)."""
    if window == CALENDAR_MONTH:
        return month_start(at)
    return at - timedelta(days=ROLLING_DAYS[window])
