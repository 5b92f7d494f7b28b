"""Incidents as the dashboards show them: counts per SLO, an SLO's recent incidents, and the
incident list with its filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from incidents.models import Incident, IncidentStatus, Severity, Silence
from slo.models import SLO

OPEN = [IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED]
LIST_LIMIT = 200


def open_counts_by_slo() -> dict[int, int]:
    rows = (
        Incident.objects.filter(resolved_at=None, slo__isnull=False)
        .values("slo_id")
        .annotate(n=Count("id"))
    )
    return {row["slo_id"]: row["n"] for row in rows}


def for_slo(slo: SLO, since: datetime) -> list[Incident]:
    """The SLO's incidents still open or triggered inside the range, newest first."""
    recent = Q(triggered_at__gte=since) | Q(resolved_at=None)
    return list(Incident.objects.filter(recent, slo=slo).order_by("-triggered_at")[:50])


@dataclass
class IncidentFilters:
    status: str = "open"  # open | triggered | acknowledged | resolved | all
    severity: str = ""
    service: str = ""

    @classmethod
    def from_query(cls, query: dict[str, str]) -> IncidentFilters:
        status = query.get("status", "open")
        valid = {"open", "all", *IncidentStatus.values}
        severity = query.get("severity", "")
        return cls(
            status=status if status in valid else "open",
            severity=severity if severity in Severity.values else "",
            service=query.get("service", "").strip(),
        )


def incidents(filters: IncidentFilters) -> QuerySet[Incident]:
    found = Incident.objects.select_related("service", "slo", "runbook")
    if filters.status == "open":
        found = found.filter(status__in=OPEN)
    elif filters.status != "all":
        found = found.filter(status=filters.status)
    if filters.severity:
        found = found.filter(severity=filters.severity)
    if filters.service:
        found = found.filter(service__name=filters.service)
    return found.order_by("-triggered_at")[:LIST_LIMIT]


def silences(now: datetime | None = None) -> list[Silence]:
    """Silences in force or still to come."""
    now = now or timezone.now()
    return list(
        Silence.objects.filter(ends_at__gt=now)
        .select_related("service", "rule")
        .order_by("starts_at")
    )
