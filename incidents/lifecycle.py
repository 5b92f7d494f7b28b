"""Incident workflows: a firing alert opens (or joins) the open incident of its dedup key,
a resolved alert may resolve it. Every change PagerDuty must hear about writes an outbox
row in the same transaction (Incident.acknowledge/resolve and page() below)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from runbooks import links
from runbooks.models import Runbook

from . import pagerduty, routing
from .models import Actor, Alert, AlertSource, AlertState, Incident, OutboxAction, OutboxEvent


def dedup_key(alert: Alert) -> str:
    """Rule alerts: "sie-rule-<rule pk>/<condition>", from the primary key and never the
    rule's name, so renaming a rule cannot orphan an open incident; Alertmanager alerts:
    "am-<fingerprint>"."""
    return f"sie-{alert.key}" if alert.source == AlertSource.RULE else alert.key


def actor_of(alert: Alert) -> str:
    return Actor.ALERTMANAGER if alert.source == AlertSource.ALERTMANAGER else Actor.RULE


def alert_fired(alert: Alert, at: datetime) -> Incident:
    """Attach a firing alert to the open incident of its dedup key, or open one; a new
    incident pages unless silenced or not a paging severity of its service."""
    with transaction.atomic():
        for _ in range(3):  # a concurrent tick may open the same incident between our steps
            incident = _open_incident(dedup_key(alert))
            if incident is not None:
                _join(incident, alert, at)
                break
            incident = _create(alert, at)
            if incident is not None:
                break
        else:
            raise RuntimeError(f"could not open or join an incident for {alert.key}")
        alert.incident = incident
        alert.save(update_fields=["incident"])
    return incident


def alert_resolved(alert: Alert, at: datetime) -> bool:
    """Record the recovery; resolve the incident when no other alert of it still fires
    (and its rule auto-resolves). Returns whether the incident was resolved."""
    incident = alert.incident
    if incident is None or not incident.is_open:
        return False
    with transaction.atomic():
        incident.record(
            "alert_resolved", alert.name, actor_of(alert), alert.summary, at=at, alert=alert.key
        )
        others = incident.alerts.filter(state=AlertState.FIRING).exclude(pk=alert.pk)
        auto = alert.rule.auto_resolve if alert.rule_id else True
        if not auto or others.exists():
            return False
        return incident.resolve(alert.name, actor_of(alert), at=at)


def silence_ended(alert: Alert, at: datetime) -> None:
    """A still-firing alert whose silence ran out pages its open incident now (once: the
    alert forgets the silence, and page() does nothing for an incident that paged)."""
    incident = alert.incident
    alert.silenced_by = None
    alert.save(update_fields=["silenced_by"])
    if incident is not None and incident.is_open:
        page(incident, alert, at)


def _open_incident(key: str) -> Incident | None:
    return Incident.objects.select_for_update().filter(dedup_key=key, resolved_at=None).first()


def _create(alert: Alert, at: datetime) -> Incident | None:
    runbook = _runbook(alert)
    incident = Incident(
        dedup_key=dedup_key(alert),
        title=(alert.summary or alert.name)[:1024],
        service=alert.service,
        slo=alert.rule.slo if alert.rule_id else None,
        rule=alert.rule,
        severity=alert.severity,
        runbook=runbook,
        runbook_url=links.absolute_url(runbook.slug) if runbook else "",
        details=alert.details,
        triggered_at=at,
    )
    try:
        with transaction.atomic():  # savepoint: the unique constraint may refuse it
            incident.save()
    except IntegrityError:
        return None
    incident.record(
        "triggered",
        alert.name,
        actor_of(alert),
        alert.summary,
        at=at,
        alert=alert.key,
        severity=alert.severity,
    )
    page(incident, alert, at)
    return incident


def _join(incident: Incident, alert: Alert, at: datetime) -> None:
    # A new alert of an open incident is kept on its timeline; it pages only if the
    # incident has not paged yet and this alert is the first that should.
    again = alert.incident_id == incident.pk
    incident.record(
        "alert_joined",
        alert.name,
        actor_of(alert),
        "fired again" if again else alert.summary,
        at=at,
        alert=alert.key,
        severity=alert.severity,
    )
    if not incident.paged and alert.severity < incident.severity:
        incident.severity = alert.severity  # "P1" < "P2": escalate before paging
        incident.save(update_fields=["severity"])
    page(incident, alert, at)


def page(incident: Incident, alert: Alert, at: datetime) -> OutboxEvent | None:
    """Queue the PagerDuty trigger once per incident, unless silenced or not paging."""
    if incident.paged:
        return None
    reason = _why_not_page(incident, alert, at)
    if reason:
        incident.record("not_paged", alert.name, Actor.SYSTEM, reason, at=at)
        return None
    incident.routing_key = routing.routing_key(incident.service)
    incident.save(update_fields=["routing_key"])
    body = pagerduty.trigger_body(incident, alert.details)
    event = OutboxEvent.enqueue(incident, OutboxAction.TRIGGER, at=at, payload=body)
    incident.record("paged", alert.name, Actor.SYSTEM, "trigger queued for PagerDuty", at=at)
    return event


def _why_not_page(incident: Incident, alert: Alert, at: datetime) -> str:
    silence = routing.active_silence(incident.service_id, alert.rule_id, alert.severity, at)
    if silence is not None:
        alert.silenced_by = silence
        alert.save(update_fields=["silenced_by"])
        return f"silenced by {silence}"
    if alert.severity not in routing.page_severities(incident.service):
        return f"{alert.severity} does not page for this service"
    if not routing.routing_key(incident.service):
        return "no PagerDuty routing key configured"
    return ""


def _runbook(alert: Alert) -> Runbook | None:
    slug = alert.rule.runbook if alert.rule_id else alert.labels.get("runbook", "")
    return links.resolve(slug)
