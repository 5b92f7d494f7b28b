"""Admin for alerting: incidents with acknowledge/resolve/silence actions, the outbox with
retry, rules, silences, routes; the timeline and webhooks are read-only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from .models import (
    Actor,
    Alert,
    AlertRule,
    Incident,
    IncidentEvent,
    OutboxEvent,
    OutboxStatus,
    Route,
    Silence,
    WebhookDelivery,
)


class TimelineInline(admin.TabularInline):
    model = IncidentEvent
    fields = ["at", "kind", "actor", "source", "message"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _silence_action(hours: int) -> Callable[..., None]:
    @admin.action(description=f"Silence the incidents' services for {hours} h")
    def silence(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        services = {i.service for i in queryset.select_related("service") if i.service}
        now = timezone.now()
        for service in services:
            Silence.objects.create(
                service=service,
                starts_at=now,
                ends_at=now + timedelta(hours=hours),
                created_by=request.user.get_username(),
                comment=f"from admin, {hours} h",
            )
        modeladmin.message_user(request, f"silenced {len(services)} service(s) for {hours} h")

    silence.__name__ = f"silence_{hours}h"
    return silence


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["title", "service", "severity", "status", "paged", "triggered_at"]
    list_filter = ["status", "severity", "service"]
    search_fields = ["title", "dedup_key"]
    readonly_fields = [f.name for f in Incident._meta.fields]
    inlines = [TimelineInline]
    actions = [
        "acknowledge",
        "resolve",
        _silence_action(1),
        _silence_action(4),
        _silence_action(24),
    ]

    @admin.display(boolean=True)
    def paged(self, incident: Incident) -> bool:
        return incident.paged

    @admin.action(description="Acknowledge selected incidents")
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        done = sum(i.acknowledge(request.user.get_username(), Actor.ADMIN) for i in queryset)
        self.message_user(request, f"acknowledged {done} incident(s)")

    @admin.action(description="Resolve selected incidents")
    def resolve(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        done = sum(i.resolve(request.user.get_username(), Actor.ADMIN) for i in queryset)
        self.message_user(request, f"resolved {done} incident(s)")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # incidents come from alerts; state changes go through the actions


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "action",
        "dedup_key",
        "status",
        "attempts",
        "next_attempt_at",
        "response_status",
        "sent_at",
    ]
    list_filter = ["status", "action"]
    search_fields = ["dedup_key"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
    actions = ["retry"]

    @admin.action(description="Retry selected dead events now")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> None:
        count = queryset.filter(status=OutboxStatus.DEAD).update(
            status=OutboxStatus.PENDING, next_attempt_at=timezone.now(), lease_until=None
        )
        self.message_user(request, f"{count} event(s) queued again", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "severity",
        "metric",
        "threshold",
        "for_duration",
        "runbook",
        "enabled",
    ]
    list_filter = ["kind", "enabled", "severity"]
    search_fields = ["name"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "severity", "value", "firing_since", "silenced_by", "incident"]
    list_filter = ["state", "source", "severity"]
    readonly_fields = [f.name for f in Alert._meta.fields]


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "service", "rule", "severity", "starts_at", "ends_at"]
    list_filter = ["service"]

    def save_model(self, request: HttpRequest, obj: Silence, form: object, change: bool) -> None:
        obj.created_by = obj.created_by or request.user.get_username()
        super().save_model(request, obj, form, change)


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ["service", "page_severities"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["webhook_id", "event_type", "received_at", "processed_at", "outcome"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
