from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ingestion.timegrain import floor_hour
from slo import buckets
from slo.models import SLO, Service

# A fixed "now" in the middle of an hour, so hour-edge arithmetic is exercised.
AT = datetime(2025, 3, 20, 12, 37, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Staff users are created per test; the production hasher costs ~0.5 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_slo(db) -> Callable[..., SLO]:
    def make(name: str = "checkout-availability", service: str = "checkout", **fields) -> SLO:
        svc, _ = Service.objects.get_or_create(name=service)
        values = {
            "sli": "ratio",
            "objective": Decimal("99.9"),
            "window": "30d",
            "budgeting": "occurrences",
            "source": "push",
        }
        values.update(fields)
        return SLO.objects.create(service=svc, name=name, **values)

    return make


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
