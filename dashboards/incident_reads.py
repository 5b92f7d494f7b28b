"""Incidents as the dashboards show them (filled in once the incidents app has models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slo.models import SLO


def open_counts_by_slo() -> dict[int, int]:
    return {}


def for_slo(slo: SLO, since: datetime) -> list[Any]:
    return []
