"""Backtesting alert policies: the multiwindow burn-rate conditions replayed minute by
minute over stored history, to ask "would these thresholds have paged during last
Tuesday's outage, how fast, and how often in a noisy week?".

History is read per minute (slo.timeline): minute rows while they are kept, then the
minutes each hourly bucket keeps; an hour without minutes (a Prometheus backfill in hour
steps) is spread evenly over its 60 minutes — hour resolution there. At each moment t
(covering minutes before t, as a Beat tick does) a rule fires when both its windows burn
faster than its factor; consecutive firing moments of one severity are one episode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from ingestion.timegrain import floor_minute

from . import budget
from .models import SLO
from .timeline import MINUTE, History, load_history

WEEK_MINUTES = 7 * 24 * 60
MAX_RANGE = timedelta(days=35)
_UNITS = {"m": 1, "h": 60, "d": 1440}
# Pyrra's defaults for a 30-day SLO: factors 14/7/2/1, the last long window 4 days.
PYRRA = [("page", "1h", "5m", 14), ("page", "6h", "30m", 7),
         ("ticket", "1d", "2h", 2), ("ticket", "4d", "6h", 1)]  # fmt: skip
WORKBOOK = [("page", "1h", "5m", 14.4), ("page", "6h", "30m", 6),
            ("ticket", "1d", "2h", 3), ("ticket", "3d", "6h", 1)]  # fmt: skip
POLICIES = ("sie", "workbook", "pyrra")


class BacktestError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    severity: str
    long: str
    short: str
    factor: float

    @property
    def label(self) -> str:
        return f"{self.long}/{self.short}>{self.factor:g}"


@dataclass(frozen=True)
class Policy:
    name: str
    rules: list[Rule]


@dataclass
class Episode:
    severity: str
    start: datetime
    end: datetime
    first_bad: datetime
    budget_spent: float
    rules: list[str] = field(default_factory=list)

    @property
    def delay(self) -> timedelta:
        return self.start - self.first_bad

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "start": self.start,
            "end": self.end,
            "first_bad_minute": self.first_bad,
            "detection_delay_seconds": int(self.delay.total_seconds()),
            "budget_spent": self.budget_spent,
            "rules": self.rules,
        }


@dataclass
class Result:
    policy: Policy
    start: datetime
    end: datetime
    episodes: list[Episode]

    @property
    def pages(self) -> int:
        return sum(e.severity == "page" for e in self.episodes)

    @property
    def tickets(self) -> int:
        return sum(e.severity == "ticket" for e in self.episodes)

    def noisiest_week_pages(self) -> int:
        """The most page episodes starting within any 7 days of the range."""
        starts = sorted(e.start for e in self.episodes if e.severity == "page")
        return max((sum(s <= t < s + timedelta(days=7) for t in starts) for s in starts), default=0)


def minutes_of(text: str) -> int:
    match = re.fullmatch(r"(\d+)([mhd])", str(text))
    if not match or int(match[1]) == 0:
        raise BacktestError(f"{text!r} is not a window such as 5m, 1h or 3d")
    return int(match[1]) * _UNITS[match[2]]


def policy(slo: SLO, name: str = "sie", windows_file: Path | None = None) -> Policy:
    """The engine's own policy scaled to the SLO period ("sie"), the Workbook's fixed
    14.4/6/3/1, Pyrra's 14/7/2/1 with 4d, or rules from a YAML list of
    {severity, long, short, factor}."""
    if windows_file is not None:
        return Policy(windows_file.name, _rules_from_yaml(windows_file))
    if name == "sie":
        hours = budget.ROLLING_DAYS.get(slo.window, budget.NOMINAL_MONTH_DAYS) * 24.0
        rules = [(r.severity, r.long_window, r.short_window, r.factor) for r in
                 budget.alert_rules(hours)]  # fmt: skip
    elif name in ("workbook", "pyrra"):
        rules = WORKBOOK if name == "workbook" else PYRRA
    else:
        raise BacktestError(f"policy {name!r}: one of {', '.join(POLICIES)}")
    return Policy(name, [Rule(*rule) for rule in rules])


def _rules_from_yaml(path: Path) -> list[Rule]:
    try:
        items = yaml.safe_load(path.read_text())
        rules = [
            Rule(str(i["severity"]), str(i["long"]), str(i["short"]), float(i["factor"]))
            for i in items
        ]
    except (OSError, yaml.YAMLError, TypeError, KeyError, ValueError) as exc:
        raise BacktestError(f"{path}: a YAML list of {{severity, long, short, factor}}") from exc
    for rule in rules:
        minutes_of(rule.long), minutes_of(rule.short)
        if rule.severity not in ("page", "ticket") or rule.factor <= 0:
            raise BacktestError(f"{path}: severity page|ticket and a positive factor")
    return rules


def _burn(history: History, k: int, width: int, ppm: int) -> float | None:
    good, total, seen = history.sums(k, width)
    if not seen:
        return None
    return 0.0 if total <= 0 else (total - good) * 1_000_000 / (total * ppm)


def _first_bad(history: History, k: int, ppm: int) -> int:
    """The first minute of the burn that was detected at moment k: the latest run of
    minutes burning above 1× before k (quiet minutes inside it do not end it)."""

    def burning(i: int) -> bool:
        total = history.total[i]
        return total > 0 and (total - history.good[i]) * 1_000_000 > total * ppm

    j = k - 1
    while j >= 0 and not burning(j):
        j -= 1
    if j < 0:
        return k
    while j > 0 and (burning(j - 1) or history.total[j - 1] <= 0):
        j -= 1
    while history.total[j] <= 0:
        j += 1
    return j


@dataclass
class _Replay:
    """The state of one backtest run: history, budget and the episodes open so far."""

    history: History
    rules: list[Rule]
    ppm: int
    period_budget: float  # bad events that would spend the whole period's budget
    end: datetime
    open: dict[str, Episode] = field(default_factory=dict)
    closed: list[Episode] = field(default_factory=list)

    def firing(self, k: int, widths: dict[str, int]) -> dict[str, list[str]]:
        """Labels of the rules firing at moment k, by severity."""
        burns = {w: _burn(self.history, k, width, self.ppm) for w, width in widths.items()}
        firing: dict[str, list[str]] = {}
        for rule in self.rules:
            long, short = burns[rule.long], burns[rule.short]
            if long is not None and short is not None and min(long, short) > rule.factor:
                firing.setdefault(rule.severity, []).append(rule.label)
        return firing

    def step(self, k: int, firing: dict[str, list[str]]) -> None:
        at = self.history.origin + k * MINUTE
        for severity in ("page", "ticket"):
            if severity in firing and severity not in self.open:
                first = _first_bad(self.history, k, self.ppm)
                good, total, _ = self.history.sums(k, k - first)
                spent = (total - good) / self.period_budget if self.period_budget else 0.0
                first_at = self.history.origin + first * MINUTE
                episode = Episode(severity, at, self.end, first_at, spent, firing[severity])
                self.open[severity] = episode
            elif severity not in firing and severity in self.open:
                episode = self.open.pop(severity)
                episode.end = at
                self.closed.append(episode)


def run(slo: SLO, start: datetime, end: datetime, chosen: Policy) -> Result:
    """Every moment from `start` to `end` (minute steps) evaluated under `chosen`."""
    start, end = floor_minute(start), floor_minute(end)
    if end < start:
        raise BacktestError("--to is before --from")
    if end - start > MAX_RANGE:
        raise BacktestError(f"at most {MAX_RANGE.days} days at a time (the hourly retention)")
    widths = {w: minutes_of(w) for rule in chosen.rules for w in (rule.long, rule.short)}
    history = load_history(slo, start - timedelta(minutes=max(widths.values())), end)
    ppm = budget.budget_ppm(slo.objective)
    period_minutes = budget.ROLLING_DAYS.get(slo.window, budget.NOMINAL_MONTH_DAYS) * 1440
    # The period's events estimated from the mean of the minutes that reported.
    per_minute = history.cum_total[-1] / max(history.cum_seen[-1], 1)
    replay = _Replay(history, chosen.rules, ppm, per_minute * period_minutes * ppm / 1e6, end)
    for k in range(history.index(start), history.index(end) + 1):
        replay.step(k, replay.firing(k, widths))
    episodes = sorted([*replay.closed, *replay.open.values()], key=lambda e: (e.start, e.severity))
    return Result(chosen, start, end, episodes)
