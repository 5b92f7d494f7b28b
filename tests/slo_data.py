"""SLOs and their per-minute history as the SLO and incident suites set them up."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ingestion.timegrain import floor_hour
from slo import buckets
from slo.models import SLO, Service


def create_slo(name: str, service: str, service_fields: dict[str, Any] | None = None,
               **fields: Any) -> SLO:  # fmt: skip
    """A 30-day, 99.9 % push ratio SLO (any field overridable) of a service made on demand."""
    svc, _ = Service.objects.get_or_create(name=service, defaults=service_fields or {})
    values = {
        "sli": "ratio",
        "objective": Decimal("99.9"),
        "window": "30d",
        "budgeting": "occurrences",
        "source": "push",
    }
    values.update(fields)
    return SLO.objects.create(service=svc, name=name, **values)


def fill(slo: SLO, rows: list[tuple[datetime, float, float]]) -> None:
    """Store per-minute (minute, good, total) for one SLO as a source would, then roll up."""
    buckets.write_minutes([(slo.pk, m, g, t) for m, g, t in rows], buckets.Merge.ADD)
    buckets.roll_up_hours({floor_hour(m) for m, _, _ in rows}, [slo.pk])


def steady(start: datetime, end: datetime, good: float, total: float, step: int = 1):
    """Every `step`-th minute in [start, end) with the same counts."""
    minute, rows = start, []
    while minute < end:
        rows.append((minute, good, total))
        minute += timedelta(minutes=step)
    return rows
