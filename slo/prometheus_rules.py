"""Prometheus recording and multiwindow burn-rate alerting rules for every SLO.

Per SLO: `slo:sli_error:ratio_rate<window>` for 5m … 3d (labels slo, service), then two
alerts as in the SRE Workbook — SLOErrorBudgetFastBurn (page: 1h & 5m, 6h & 30m) and
SLOErrorBudgetSlowBurn (ticket: 1d & 2h, 3d & 6h), factors scaled to the SLO period.
Telemetry SLOs read the SIE's own /metrics series; Prometheus SLOs their own queries.
Push and queue-lag SLOs have no raw series in Prometheus and are listed as skipped.
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
ALERTS = {"page": ("SLOErrorBudgetFastBurn", "2m"), "ticket": ("SLOErrorBudgetSlowBurn", "15m")}
REQUESTS = "sie_http_requests_total"
DURATION = "sie_http_request_duration_seconds"
# A calendar month varies (28–31 days); Prometheus rules are static, so they assume 30.
CALENDAR_MONTH_DAYS = 30


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
    bad_status = 'status=~"5.."' if slo.sli == SLIKind.AVAILABILITY else 'status=~"5..|429"'
    bad = f"sum(rate({REQUESTS}{_matchers(slo, bad_status)}[{window}]))"
    # `or vector(0)`: with no bad requests at all the series is absent, not zero.
    return f"(({bad}) or vector(0)) / ({total})"


def _labels(slo: SLO) -> dict[str, str]:
    return {"slo": slo.name, "service": slo.service.name}


def _selector(slo: SLO, window: str) -> str:
    labels = ",".join(f'{k}="{v}"' for k, v in _labels(slo).items())
    return f"{RULE_PREFIX}{window}{{{labels}}}"


def _alert(slo: SLO, severity: str, period_hours: float) -> dict[str, Any]:
    error_budget = budget.error_budget(slo.objective_percent)
    clauses = []
    for rule in budget.alert_rules(period_hours):
        if rule.severity == severity:
            limit = f"({rule.factor:.6g} * {error_budget:.6g})"
            long, short = _selector(slo, rule.long_window), _selector(slo, rule.short_window)
            clauses.append(f"({long} > {limit} and {short} > {limit})")
    name, hold = ALERTS[severity]
    annotations = {
        "summary": f"{slo.service.name}/{slo.name} is burning its error budget ({severity})",
        "description": f"Objective {slo.objective_percent:g}% over {slo.window}.",
    }
    if slo.runbook:
        annotations["runbook_url"] = links.absolute_url(slo.runbook)
    return {
        "alert": name,
        "expr": " or ".join(clauses),
        "for": hold,
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
    days = budget.ROLLING_DAYS.get(slo.window, CALENDAR_MONTH_DAYS)
    alerts = [_alert(slo, severity, days * 24.0) for severity in ALERTS]
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
