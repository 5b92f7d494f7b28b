"""Prometheus Alertmanager webhook receiver (payload version 4): each alert becomes a
rule-less Alert keyed by its fingerprint, routed through the same incidents, silences and
outbox as the product's own rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from slo.models import Service

from . import lifecycle
from .models import Alert, AlertSource, AlertState, Severity

SEVERITY_LABELS = {
    "critical": Severity.P1,
    "page": Severity.P1,
    "error": Severity.P2,
    "high": Severity.P2,
    "warning": Severity.P3,
    "ticket": Severity.P3,
    "info": Severity.P4,
    "low": Severity.P4,
}
DEFAULT_SEVERITY = Severity.P3


class PayloadError(ValueError):
    pass


def receive(payload: Any, at: datetime) -> int:
    """Apply every alert of one notification; returns how many changed state."""
    if not isinstance(payload, dict) or str(payload.get("version")) != "4":
        raise PayloadError("expected an Alertmanager webhook payload with version 4")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not all(isinstance(a, dict) for a in alerts):
        raise PayloadError("'alerts' must be a list of objects")
    for item in alerts:
        if not item.get("fingerprint") or item.get("status") not in ("firing", "resolved"):
            raise PayloadError("every alert needs a fingerprint and status firing|resolved")
    return sum(apply(item, at) for item in alerts)


def severity_of(labels: dict[str, Any]) -> str:
    value = str(labels.get("severity", "")).strip()
    if value.upper() in Severity.values:
        return value.upper()
    return SEVERITY_LABELS.get(value.lower(), DEFAULT_SEVERITY)


def apply(item: dict[str, Any], at: datetime) -> bool:
    labels, annotations = item.get("labels") or {}, item.get("annotations") or {}
    name = str(labels.get("alertname") or "alertmanager alert")[:200]
    with transaction.atomic():
        alert, _ = Alert.objects.select_for_update().get_or_create(
            key=f"am-{str(item['fingerprint'])[:200]}",
            defaults={
                "source": AlertSource.ALERTMANAGER,
                "name": name,
                "severity": severity_of(labels),
            },
        )
        firing, was_firing = item["status"] == "firing", alert.state == AlertState.FIRING
        if firing == was_firing:
            return False  # Alertmanager repeats notifications: nothing new
        alert.name, alert.labels, alert.severity = name, labels, severity_of(labels)
        alert.service = Service.objects.filter(name=labels.get("service", "")).first()
        alert.summary = str(annotations.get("summary") or annotations.get("description") or name)
        alert.details = {
            "labels": labels,
            "annotations": annotations,
            "source": name,
            "generatorURL": item.get("generatorURL", ""),
            "class": "alertmanager",
        }
        _move(alert, firing, at)
    return True


def _move(alert: Alert, firing: bool, at: datetime) -> None:
    if firing:
        alert.state, alert.firing_since, alert.resolved_at = AlertState.FIRING, at, None
        alert.save()
        lifecycle.alert_fired(alert, at)
    else:
        alert.state, alert.resolved_at = AlertState.RESOLVED, at
        alert.save()
        lifecycle.alert_resolved(alert, at)
