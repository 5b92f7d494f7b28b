"""Prometheus recording and multiwindow burn-rate alerting rules for every SLO.

Per SLO: `slo:sli_error:ratio_rate<window>` for 5m … 3d (labels slo, service), then two
alerts as in the SRE Workbook — SLOErrorBudgetFastBurn (page: 1h & 5m, 6h & 30m) and
SLOErrorBudgetSlowBurn (ticket: 1d & 2h, 3d & 6h), factors scaled to the SLO period.
Telemetry SLOs read the SIE's own /metrics series; Prometheus SLOs their own queries.
Push and queue-lag SLOs have no raw series in Prometheus and are listed as skipped.

The rules fire exactly when the engine's snapshots do: no `for:` hold (the engine has none;
the short window is what stops an alert once a burn is over), factors clamped at 1 as in
slo.budget, and a calendar month's factors computed from `days_in_month()` at evaluation
time, so February pages at 13.44 in Prometheus as it does here (a fixed 30-day month paged
at 14.4 there and 13.44 here).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from prometheus_client.utils import floatToGoString

from runbooks import links

from . import budget
from .models import SLO, SLIKind, Source

RULE_PREFIX = "slo:sli_error:ratio_rate"
ALERTS = {"page": "SLOErrorBudgetFastBurn", "ticket": "SLOErrorBudgetSlowBurn"}
REQUESTS = "sie_http_requests_total"
DURATION = "sie_http_request_duration_seconds"
RATE_LIMITED = "sie_rate_limited_total"
SERVER_ERRORS = 'status=~"5.."'
ERRORS_AND_TURNED_AWAY = 'status=~"5..|429"'


def _regex_literal(text: str) -> str:
    """`text` matched literally inside a PromQL (RE2) regex in a double-quoted string."""
    escaped = re.sub(r"([.+*?()\[\]{}|^$])", r"\\\\\1", text)
    return escaped.replace('"', '\\"')


def _matchers(slo: SLO, extra: str = "") -> str:
    parts = []
    if slo.routes:
        parts.append('path=~"' + "|".join(_regex_literal(r) for r in slo.routes) + '"')
    if slo.methods:
        parts.append('method=~"' + "|".join(m.upper() for m in slo.methods) + '"')
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}"


def error_ratio(slo: SLO, window: str) -> str | None:
    """PromQL for the bad fraction over `window`; None when Prometheus cannot see the SLI."""
    if slo.source == Source.PROMETHEUS:
        good = slo.good_query.replace("$window", window)
        total = slo.total_query.replace("$window", window)
        return f"1 - (({good}) / ({total}))"
    if slo.source != Source.TELEMETRY or slo.sli == SLIKind.QUEUE_LAG:
        return None
    total = f"sum(rate({REQUESTS}{_matchers(slo)}[{window}]))"
    if slo.sli == SLIKind.LATENCY:
        le_matcher = 'le="' + floatToGoString(slo.threshold_ms / 1000.0) + '"'
        fast = f"sum(rate({DURATION}_bucket{_matchers(slo, le_matcher)}[{window}]))"
        slow_total = f"sum(rate({DURATION}_count{_matchers(slo)}[{window}]))"
        return f"1 - (({fast}) / ({slow_total}))"
    if slo.sli == SLIKind.AVAILABILITY:
        bad = f"sum(rate({REQUESTS}{_matchers(slo, SERVER_ERRORS)}[{window}]))"
        # `or vector(0)`: with no bad requests at all the series is absent, not zero.
        return f"(({bad}) or vector(0)) / ({total})"
    # Error rate, as the engine counts it: 5xx and the 429s the SIE turned away (queue_full);
    # a client over its own quota (rate_limited, counted apart) is not an error.
    bad = f"sum(rate({REQUESTS}{_matchers(slo, ERRORS_AND_TURNED_AWAY)}[{window}]))"
    quota = f"sum(rate({RATE_LIMITED}{_matchers(slo)}[{window}]))"
    return f"((({bad}) or vector(0)) - (({quota}) or vector(0))) / ({total})"


def _labels(slo: SLO) -> dict[str, str]:
    return {"slo": slo.name, "service": slo.service.name}


def _selector(slo: SLO, window: str) -> str:
    labels = ",".join(f'{k}="{v}"' for k, v in _labels(slo).items())
    return f"{RULE_PREFIX}{window}{{{labels}}}"


def _factor(slo: SLO, rule: budget.AlertRule) -> str:
    if slo.window != budget.CALENDAR_MONTH:
        return f"{rule.factor:.6g}"
    # share × 24 × days ÷ long-window hours, at least 1, for the month being evaluated.
    hours = budget.BURN_WINDOWS[rule.long_window].total_seconds() / 3600
    scale = f"{rule.budget_share * 24 / hours:.6g}"
    return f"scalar(clamp_min(days_in_month() * {scale}, 1))"


def _alert(slo: SLO, severity: str) -> dict[str, Any]:
    error_budget = budget.error_budget(slo.objective)
    period_hours = budget.ROLLING_DAYS.get(slo.window, budget.NOMINAL_MONTH_DAYS) * 24.0
    clauses = []
    for rule in budget.alert_rules(period_hours):
        if rule.severity == severity:
            limit = f"({_factor(slo, rule)} * {error_budget:.6g})"
            long, short = _selector(slo, rule.long_window), _selector(slo, rule.short_window)
            clauses.append(f"({long} > {limit} and {short} > {limit})")
    name = ALERTS[severity]
    annotations = {
        "summary": f"{slo.service.name}/{slo.name} is burning its error budget ({severity})",
        "description": f"Objective {slo.objective_percent:g}% over {slo.window}.",
    }
    if slo.runbook:
        annotations["runbook_url"] = links.absolute_url(slo.runbook)
    return {
        "alert": name,
        "expr": " or ".join(clauses),
        "labels": {**_labels(slo), "severity": severity},
        "annotations": annotations,
    }


def rule_group(slo: SLO) -> dict[str, Any] | None:
    if error_ratio(slo, "5m") is None:
        return None
    records = [
        {"record": f"{RULE_PREFIX}{w}", "expr": error_ratio(slo, w), "labels": _labels(slo)}
        for w in budget.BURN_WINDOWS
    ]
    alerts = [_alert(slo, severity) for severity in ALERTS]
    return {"name": f"slo-{slo.service.name}-{slo.name}", "rules": records + alerts}


def export_rules(slos: list[SLO]) -> tuple[dict[str, Any], list[SLO]]:
    """The rule file ({"groups": [...]}) and the SLOs it could not express."""
    groups, skipped = [], []
    for slo in slos:
        group = rule_group(slo)
        if group is None:
            skipped.append(slo)
        else:
            groups.append(group)
    return {"groups": groups}, skipped


def dump(slos: list[SLO]) -> str:
    rules, skipped = export_rules(slos)
    header = "".join(
        f"# skipped {slo.service.name}/{slo.name}: source {slo.source}"
        f"{' (queue lag)' if slo.sli == SLIKind.QUEUE_LAG else ''} has no Prometheus series\n"
        for slo in skipped
    )
    return header + yaml.safe_dump(rules, sort_keys=False, width=1000)
