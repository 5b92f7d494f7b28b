"""Rule evaluation and the alert state machine (inactive → pending → firing → resolved).

Each tick reads the SLO snapshots the same tick just wrote (burn-rate rules: the snapshot's
`alerts` page/ticket conditions) and the threshold signals, then moves each alert one step.
Alert rows exist only once a condition was true; a firing alert opens or joins an incident
and a resolved one may resolve it (incidents.lifecycle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ingestion.timegrain import floor_minute
from slo.models import SLO, Snapshot

from . import lifecycle, signals
from .models import Alert, AlertRule, AlertSource, AlertState, RuleKind

BURN_RATE_RUNBOOK = "slo-burn-rate"


@dataclass(frozen=True)
class Observation:
    """One rule condition as of a tick: is it true, and what to tell people about it."""

    rule: AlertRule
    key: str
    true: bool
    severity: str
    value: float | None = None
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def tick_time() -> datetime:
    return floor_minute(timezone.now())


def next_state(
    state: str,
    true: bool,
    at: datetime,
    *,
    pending_since: datetime | None,
    last_true_at: datetime | None,
    for_duration: timedelta,
    keep_firing_for: timedelta,
) -> str:
    """One step of the state machine (Prometheus semantics plus keep_firing_for)."""
    if true:
        if state == AlertState.FIRING:
            return AlertState.FIRING
        if state == AlertState.PENDING and pending_since is not None:
            return AlertState.FIRING if at - pending_since >= for_duration else state
        return AlertState.FIRING if for_duration <= timedelta(0) else AlertState.PENDING
    if state == AlertState.PENDING:
        return AlertState.INACTIVE
    if state == AlertState.FIRING:
        held = last_true_at is not None and at - last_true_at < keep_firing_for
        return AlertState.FIRING if held else AlertState.RESOLVED
    return state


def evaluate(at: datetime, snapshots: list[Snapshot]) -> int:
    """Evaluate every enabled rule as of `at` against this tick's snapshots (in memory, with
    their SLOs and services); returns how many alerts changed state."""
    ensure_burn_rate_rules()
    observations = burn_rate_observations(snapshots) + threshold_observations(at)
    return apply(observations, at) + retire_orphans(at)


def ensure_burn_rate_rules() -> int:
    """Every SLO gets a burn-rate rule (disable it in admin to stop alerting on it)."""
    missing = SLO.objects.filter(alert_rule=None).select_related("service")
    rules = [
        AlertRule(
            name=f"burn rate: {slo.service.name}/{slo.name}",
            kind=RuleKind.BURN_RATE,
            slo=slo,
            service=slo.service,
            runbook=slo.runbook or BURN_RATE_RUNBOOK,
            summary=f"SLO {slo.service.name}/{slo.name} is burning its error budget",
        )
        for slo in missing
    ]
    return len(AlertRule.objects.bulk_create(rules, ignore_conflicts=True))


def burn_rate_observations(snapshots: list[Snapshot]) -> list[Observation]:
    # The snapshots carry their SLOs and services: 10,000 SLOs are not loaded twice.
    by_slo = {snapshot.slo_id: snapshot for snapshot in snapshots}
    observations = []
    for rule in AlertRule.objects.filter(kind=RuleKind.BURN_RATE, enabled=True):
        snapshot = by_slo.get(rule.slo_id)
        if snapshot is None:  # no snapshot this minute: judge nothing, change nothing
            continue
        rule.slo = snapshot.slo
        if rule.service_id == rule.slo.service_id:  # else read when used (rare)
            rule.service = rule.slo.service
        observations += _burn_conditions(rule, snapshot)
    return observations


def _burn_conditions(rule: AlertRule, snapshot: Snapshot) -> list[Observation]:
    found = {
        kind: [a for a in snapshot.alerts if a.get("severity") == kind]
        for kind in ("page", "ticket")
    }
    fast = any(a.get("windows", [None])[0] == "1h" for a in found["page"])
    severities = {
        "page": rule.severity if fast else rule.slow_page_severity,
        "ticket": rule.ticket_severity,
    }
    details = _burn_details(rule, snapshot)
    return [
        Observation(rule, f"rule-{rule.pk}/{kind}", bool(found[kind]), severities[kind],
                    value=_max_burn(found[kind]), details=details,
                    summary=f"{rule.summary or rule.name} ({kind})")
        for kind in ("page", "ticket")
    ]  # fmt: skip


def _burn_details(rule: AlertRule, snapshot: Snapshot) -> dict[str, Any]:
    """What the page carries: the SLO, objective, burn rates, budget left, the conditions."""
    service = rule.slo.service.name
    return {
        "rule": rule.name, "slo": str(rule.slo), "objective": float(rule.slo.objective),
        "window": rule.slo.window, "sli": snapshot.sli, "burn_rates": snapshot.burn_rates,
        "budget_remaining": snapshot.budget_remaining, "conditions": snapshot.alerts,
        "source": service, "group": service, "class": "slo_burn",
    }  # fmt: skip


def _max_burn(conditions: list[dict[str, Any]]) -> float | None:
    rates = [r for c in conditions for r in (c.get("burn_rates") or {}).values() if r is not None]
    return max(rates, default=None)


def threshold_observations(at: datetime) -> list[Observation]:
    rules = list(
        AlertRule.objects.filter(kind=RuleKind.THRESHOLD, enabled=True).select_related("service")
    )
    values = signals.read({rule.metric for rule in rules}, at)
    observations = []
    for rule in rules:
        value = values[rule.metric]
        details = {
            "rule": rule.name,
            "metric": rule.metric,
            "value": value,
            "threshold": rule.threshold,
            "for": str(rule.for_duration),
            "source": rule.service.name if rule.service else "sie",
            "class": rule.metric,
        }
        true = value is not None and value > rule.threshold
        observations.append(
            Observation(
                rule,
                f"rule-{rule.pk}",
                true,
                rule.severity,
                value,
                rule.summary or rule.name,
                details,
            )
        )
    return observations


# Alerts that did not change state: one UPDATE moves the firing ones' last_true_at (what
# keep_firing_for needs); details are those of when they fired, and a changed severity or
# name is saved on its own (rare). State changes are saved one by one with their incident.
SETTLED = (AlertState.INACTIVE, AlertState.RESOLVED)


def apply(observations: list[Observation], at: datetime) -> int:
    """Move every observed alert one step; returns how many changed state."""
    # What can change: alerts observed true now, and those still active (pending, firing)
    # that may now resolve. Everything else is settled and stays so: not read at all — at
    # 10,000 SLOs, 20,000 keys per tick are mostly quiet.
    true_keys = [o.key for o in observations if o.true]
    existing = Alert.objects.filter(Q(key__in=true_keys) | ~Q(state__in=SETTLED))
    existing = existing.select_related("rule", "incident", "silenced_by")
    alerts = {alert.key: alert for alert in existing}
    changed, still_true = 0, []
    for observation in observations:
        alert = alerts.get(observation.key)
        if (alert is None or alert.state in SETTLED) and not observation.true:
            continue  # nothing is or was active: no write
        alert = alert or _new_alert(observation)
        if step(alert, observation, at):
            changed += 1
        elif observation.true:
            still_true.append(alert.pk)
    Alert.objects.filter(pk__in=still_true).update(last_true_at=at, evaluated_at=at)
    return changed


def _new_alert(observation: Observation) -> Alert:
    rule = observation.rule
    return Alert(
        key=observation.key,
        source=AlertSource.RULE,
        rule=rule,
        name=rule.name,
        service=rule.service,
        severity=observation.severity,
    )


def step(alert: Alert, observation: Observation, at: datetime) -> bool:
    """Apply one observation to one alert; on a state change, save it and open/join or
    resolve its incident. Returns whether the state changed (else the caller saves it)."""
    rule, before = observation.rule, alert.state
    after = next_state(before, observation.true, at, pending_since=alert.pending_since,
                       last_true_at=alert.last_true_at, for_duration=rule.for_duration,
                       keep_firing_for=rule.keep_firing_for)  # fmt: skip
    if after == before and alert.pk is not None:
        _quiet_step(alert, observation, at)
        return False
    alert.name, alert.evaluated_at, alert.value = rule.name, at, observation.value
    if observation.true:
        alert.last_true_at, alert.summary = at, observation.summary
        alert.details, alert.severity = observation.details, observation.severity
    _stamp(alert, before, after, at)
    with transaction.atomic():
        alert.save()
        if after == AlertState.FIRING and before != AlertState.FIRING:
            lifecycle.alert_fired(alert, at)
        elif after == AlertState.RESOLVED and before == AlertState.FIRING:
            lifecycle.alert_resolved(alert, at)
    return before != after


def _quiet_step(alert: Alert, observation: Observation, at: datetime) -> None:
    if observation.true and (alert.severity, alert.name) != (
        observation.severity,
        observation.rule.name,
    ):
        alert.severity, alert.name = observation.severity, observation.rule.name
        alert.save(update_fields=["severity", "name"])
    if alert.state == AlertState.FIRING and _silence_over(alert, at):
        lifecycle.silence_ended(alert, at)


def _silence_over(alert: Alert, at: datetime) -> bool:
    silence = alert.silenced_by
    return silence is not None and silence.ends_at <= at and alert.incident_id is not None


def _stamp(alert: Alert, before: str, after: str, at: datetime) -> None:
    alert.state = after
    if after == AlertState.PENDING and before != AlertState.PENDING:
        alert.pending_since = at
    if after == AlertState.FIRING and before != AlertState.FIRING:
        alert.firing_since, alert.resolved_at, alert.silenced_by = at, None, None
        alert.pending_since = alert.pending_since if before == AlertState.PENDING else at
    if after == AlertState.INACTIVE:
        alert.pending_since = None
    if after == AlertState.RESOLVED and before != AlertState.RESOLVED:
        alert.resolved_at = at


def retire_orphans(at: datetime) -> int:
    """Alerts whose rule was disabled or deleted while active resolve now, so their open
    incidents (on the dedup key and routing key they were opened with) are closed."""
    orphans = Alert.objects.filter(source=AlertSource.RULE).filter(
        Q(rule=None) | Q(rule__enabled=False), state__in=[AlertState.PENDING, AlertState.FIRING]
    )
    count = 0
    for alert in orphans.select_related("rule", "incident"):
        was_firing, alert.state = alert.state == AlertState.FIRING, AlertState.RESOLVED
        alert.resolved_at = at
        with transaction.atomic():
            alert.save(update_fields=["state", "resolved_at"])
            if was_firing:
                lifecycle.alert_resolved(alert, at)
        count += 1
    return count
