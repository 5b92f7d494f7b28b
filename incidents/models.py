"""Alert rules → alerts → incidents (with an append-only timeline) → the PagerDuty outbox.

Invariants live in the database: one open incident per dedup key (a conditional unique
constraint, so two concurrent ticks cannot open two), one alert row per alert key, one
stored webhook per PagerDuty webhook id. Every incident change PagerDuty must hear about
writes an OutboxEvent in the same transaction (see incidents.lifecycle).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import current_app
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from runbooks.models import Runbook
from slo.models import SLO, Service

log = logging.getLogger(__name__)
DELIVER_TASK = "incidents.deliver_outbox"


class Severity(models.TextChoices):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


# Events API v2 severities (SPEC §6: P1 critical, P2 error, P3 warning, P4 info).
PAGERDUTY_SEVERITY = {"P1": "critical", "P2": "error", "P3": "warning", "P4": "info"}
DEFAULT_PAGE_SEVERITIES = ["P1", "P2"]


def default_page_severities() -> list[str]:
    return list(DEFAULT_PAGE_SEVERITIES)


class RuleKind(models.TextChoices):
    BURN_RATE = "burn_rate"  # page/ticket conditions read from the SLO snapshot's `alerts`
    THRESHOLD = "threshold"  # a metric of the product's own data above a value for a duration


class Metric(models.TextChoices):
    """What a threshold rule reads (incidents.signals computes each from stored data)."""

    ERROR_RATIO_5XX = "error_ratio_5xx"  # 5xx / all requests in the last minute, 0..1
    LATENCY_P99_MS = "latency_p99_ms"  # p99 request duration in the last minute, ms
    QUEUE_DEPTH = "queue_depth"  # pending mentions now
    AI_429_PER_MIN = "ai_429_per_min"  # remote AI model 429 answers in the last minute
    DLQ_GROWTH = "dlq_growth"  # dead letters added in the last 10 minutes
    MEMORY_PERCENT = "memory_percent"  # host memory in use, percent
    OUTBOX_BACKLOG = "outbox_backlog"  # PagerDuty events undelivered for over 5 minutes


class AlertRule(models.Model):
    # The name is what runbooks list in their front matter `alerts:`; it may be renamed
    # freely, because dedup keys are built from the primary key, never from the name.
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=12, choices=RuleKind.choices)
    slo = models.OneToOneField(
        SLO, on_delete=models.CASCADE, null=True, blank=True, related_name="alert_rule"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="alert_rules"
    )
    metric = models.CharField(max_length=20, choices=Metric.choices, blank=True)
    threshold = models.FloatField(null=True, blank=True, help_text="fires when value > this")
    for_duration = models.DurationField(default=timedelta(0))
    keep_firing_for = models.DurationField(default=timedelta(minutes=5))
    # Burn-rate rules: a fast-burn page (1h/5m) → severity, slow-burn page (6h/30m) →
    # slow_page_severity, ticket → ticket_severity. Threshold rules use `severity` only.
    severity = models.CharField(max_length=2, choices=Severity.choices, default=Severity.P1)
    slow_page_severity = models.CharField(
        max_length=2, choices=Severity.choices, default=Severity.P2
    )
    ticket_severity = models.CharField(max_length=2, choices=Severity.choices, default=Severity.P3)
    runbook = models.SlugField(max_length=100, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    auto_resolve = models.BooleanField(default=True, help_text="resolve the incident on recovery")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="burn_rate") | Q(slo__isnull=False),
                name="alert_rule_burn_rate_needs_slo",
            ),
            models.CheckConstraint(
                condition=~Q(kind="threshold") | (~Q(metric="") & Q(threshold__isnull=False)),
                name="alert_rule_threshold_needs_metric",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def dedup_key(self) -> str:
        return f"sie-rule-{self.pk}"


class Route(models.Model):
    """Which severities of a service page PagerDuty; a service without a route pages P1–P2."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="route")
    page_severities = models.JSONField(default=default_page_severities)

    def __str__(self) -> str:
        return f"{self.service}: pages {', '.join(self.page_severities)}"


class Silence(models.Model):
    """A maintenance window: alerts matching every non-empty matcher are recorded but do not
    page while starts_at <= now < ends_at."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="silences"
    )
    rule = models.ForeignKey(
        AlertRule, on_delete=models.CASCADE, null=True, blank=True, related_name="silences"
    )
    severity = models.CharField(max_length=2, choices=Severity.choices, blank=True)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    comment = models.TextField(blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["ends_at"], name="silence_ends")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="silence_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        parts = [str(self.service or ""), str(self.rule or ""), self.severity]
        scope = " ".join(p for p in parts if p) or "everything"
        return f"silence {scope} until {self.ends_at:%Y-%m-%d %H:%M}"

    def is_active(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


class AlertState(models.TextChoices):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


class AlertSource(models.TextChoices):
    RULE = "rule"
    ALERTMANAGER = "alertmanager"


class IncidentStatus(models.TextChoices):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Actor(models.TextChoices):
    """Who or what changed an incident (the timeline's `source`)."""

    RULE = "rule"
    ALERTMANAGER = "alertmanager"
    API = "api"
    ADMIN = "admin"
    PAGERDUTY = "pagerduty"
    SYSTEM = "system"


class Incident(models.Model):
    dedup_key = models.CharField(max_length=255)
    title = models.CharField(max_length=1024)
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    slo = models.ForeignKey(
        SLO, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    rule = models.ForeignKey(
        AlertRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    severity = models.CharField(max_length=2, choices=Severity.choices)
    status = models.CharField(
        max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.TRIGGERED
    )
    # Snapshotted at creation so later edits of the runbook or the service cannot change
    # what an open incident links to or where its acknowledge/resolve is sent.
    runbook = models.ForeignKey(
        Runbook, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    runbook_url = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    # The routing key the trigger went out on; blank = PagerDuty never heard of this
    # incident (silenced, not a paging severity, or no key), so nothing else is sent either.
    routing_key = models.CharField(max_length=64, blank=True)
    # PagerDuty's own incident id, learnt from its webhooks (annotations carry only this).
    pagerduty_incident_id = models.CharField(max_length=32, blank=True, db_index=True)
    triggered_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-triggered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=Q(resolved_at=None),
                name="incident_one_open_per_dedup_key",
            ),
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_at__isnull=False)
                | (~Q(status="resolved") & Q(resolved_at=None)),
                name="incident_resolved_at_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-triggered_at"], name="incident_status"),
        ]

    def __str__(self) -> str:
        return f"[{self.severity}] {self.title}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def paged(self) -> bool:
        return bool(self.routing_key)

    def acknowledge(self, actor: str, source: str, *, at: datetime | None = None) -> bool:
        """Triggered → acknowledged; False when it was not triggered (nothing changes)."""
        return self._transition(
            {"status": IncidentStatus.TRIGGERED}, IncidentStatus.ACKNOWLEDGED, "acknowledged_at",
            OutboxAction.ACKNOWLEDGE, actor, source, at or timezone.now(),
        )

    def resolve(self, actor: str, source: str, *, at: datetime | None = None) -> bool:
        """Open → resolved; False when it was already resolved (nothing changes)."""
        return self._transition(
            {"resolved_at": None}, IncidentStatus.RESOLVED, "resolved_at",
            OutboxAction.RESOLVE, actor, source, at or timezone.now(),
        )

    def _transition(
        self, when: dict[str, Any], status: str, stamp: str, action: str, actor: str,
        source: str, at: datetime,
    ) -> bool:
        # Compare-and-set: of two concurrent callers only one changes the row, records the
        # timeline entry and tells PagerDuty (unless PagerDuty told us).
        with transaction.atomic():
            if not Incident.objects.filter(pk=self.pk, **when).update(status=status, **{stamp: at}):
                return False
            self.status = status
            setattr(self, stamp, at)
            self.record(status, actor, source, at=at)
            if source != Actor.PAGERDUTY:
                OutboxEvent.enqueue(self, action, at=at)
        return True

    def record(
        self, kind: str, actor: str, source: str, message: str = "", **data: Any
    ) -> IncidentEvent:
        at = data.pop("at", None) or timezone.now()
        return IncidentEvent.objects.create(
            incident=self,
            kind=kind,
            actor=actor,
            source=source,
            message=message,
            data=data,
            at=at,
        )


class AppendOnlyQuerySet(models.QuerySet["IncidentEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("the incident timeline is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("the incident timeline is append-only")


class IncidentEvent(models.Model):
    """One timeline entry: what happened, when, and who or what did it. Never changed."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    # triggered, alert_joined, alert_resolved, acknowledged, resolved, paged, page_failed,
    # silenced, reassigned, escalated, annotated, …
    kind = models.CharField(max_length=32)
    actor = models.CharField(max_length=200, blank=True)  # user, rule name, PagerDuty agent
    source = models.CharField(max_length=16, choices=Actor.choices)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"], name="incident_event_time")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} by {self.actor or self.source}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("the incident timeline is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("the incident timeline is append-only")


class Alert(models.Model):
    """One alert instance: a rule condition (rule-<id>/<condition>) or an Alertmanager
    alert (am-<fingerprint>), with its state machine timestamps."""

    key = models.CharField(max_length=255, unique=True)
    source = models.CharField(max_length=16, choices=AlertSource.choices)
    rule = models.ForeignKey(
        AlertRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    name = models.CharField(max_length=200)
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    severity = models.CharField(max_length=2, choices=Severity.choices)
    state = models.CharField(max_length=10, choices=AlertState.choices, default=AlertState.INACTIVE)
    value = models.FloatField(null=True, blank=True)
    summary = models.CharField(max_length=1024, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    details = models.JSONField(default=dict, blank=True)
    pending_since = models.DateTimeField(null=True, blank=True)
    firing_since = models.DateTimeField(null=True, blank=True)
    last_true_at = models.DateTimeField(null=True, blank=True)  # for keep_firing_for
    resolved_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    silenced_by = models.ForeignKey(
        Silence, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )

    class Meta:
        ordering = ["-firing_since"]
        indexes = [models.Index(fields=["state"], name="alert_state")]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"


class OutboxAction(models.TextChoices):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class OutboxStatus(models.TextChoices):
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed by a worker until lease_until (then claimable again)
    SENT = "sent"
    DEAD = "dead"  # permanent failure (400) or too old; kept with the response for admin


class OutboxEvent(models.Model):
    """One Events API v2 event to deliver, written in the incident's transaction."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="outbox")
    action = models.CharField(max_length=12, choices=OutboxAction.choices)
    dedup_key = models.CharField(max_length=255)
    routing_key = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)  # the full v2 body minus routing_key
    status = models.CharField(
        max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    response_status = models.IntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The delivery loop only ever scans undelivered rows; sent rows pile up forever.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="outbox_due",
            ),
            models.Index(fields=["dedup_key", "id"], name="outbox_per_key"),
            models.Index(fields=["routing_key", "sent_at"], name="outbox_pacing"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.dedup_key} ({self.status})"

    @classmethod
    def enqueue(
        cls,
        incident: Incident,
        action: str,
        *,
        at: datetime | None = None,
        payload: dict[str, Any] | None = None,
    ) -> OutboxEvent | None:
        """Queue an event on the incident's own routing key (None when it never paged)."""
        if not incident.paged:
            return None
        at = at or timezone.now()
        event = cls.objects.create(
            incident=incident,
            action=action,
            dedup_key=incident.dedup_key,
            routing_key=incident.routing_key,
            payload=payload or {},
            created_at=at,
            next_attempt_at=at,
        )
        transaction.on_commit(partial(_wake_delivery, event.pk))
        return event


def _wake_delivery(event_id: int) -> None:
    # Sent by name: the task module imports this one. Best effort only: the row is already
    # committed, and every Beat tick sweeps due rows, so a broker outage delays, never loses.
    try:
        current_app.send_task(DELIVER_TASK, args=[event_id], queue="alerting", retry=False)
    except Exception as error:  # noqa: BLE001 (kombu/redis/OSError variants; logged)
        log.warning("outbox_wake_failed", extra={"outbox_id": event_id, "error": str(error)})


class WebhookDelivery(models.Model):
    """A PagerDuty v3 webhook stored before the 2xx answer and processed afterwards;
    deliveries are at least once, so the webhook id is unique."""

    webhook_id = models.CharField(max_length=100, unique=True)
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(
                fields=["received_at"], condition=Q(processed_at=None), name="webhook_unprocessed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"
