"""Who hears about an incident: silences, which severities page per service, routing keys."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Q

from slo.models import Service

from .models import DEFAULT_PAGE_SEVERITIES, Route, Silence


def active_silence(
    service_id: int | None, rule_id: int | None, severity: str, at: datetime
) -> Silence | None:
    """The silence covering this alert at `at`: every matcher it sets must match."""
    return (
        Silence.objects.filter(starts_at__lte=at, ends_at__gt=at)
        .filter(Q(service=None) | Q(service_id=service_id))
        .filter(Q(rule=None) | Q(rule_id=rule_id))
        .filter(Q(severity="") | Q(severity=severity))
        .order_by("-ends_at")
        .first()
    )


def page_severities(service: Service | None) -> list[str]:
    route = Route.objects.filter(service=service).first() if service else None
    return list(route.page_severities) if route else list(DEFAULT_PAGE_SEVERITIES)


def routing_key(service: Service | None) -> str:
    """The service's own Events v2 integration key, else the installation's default."""
    return (service.routing_key if service else "") or settings.PAGERDUTY_DEFAULT_ROUTING_KEY
