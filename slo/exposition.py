"""SLO gauges for /metrics, read from the latest snapshots at scrape time (so they are right
whichever process ran the evaluation): sie_slo_sli, sie_slo_error_budget_remaining and
sie_slo_burn_rate{window}, each labelled service and slo. Register with
`registry.register(SLOCollector())`."""

from __future__ import annotations

import structlog
from django.db import DatabaseError
from django.db.models import Max
from prometheus_client.core import GaugeMetricFamily, Metric

from .models import Snapshot

log = structlog.get_logger(__name__)
LABELS = ["service", "slo"]


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily("sie_slo_sli", "SLI over the SLO period (fraction)", labels=LABELS),
        GaugeMetricFamily(
            "sie_slo_error_budget_remaining",
            "Error budget left in the SLO period (fraction; below 0 when overspent)",
            labels=LABELS,
        ),
        GaugeMetricFamily(
            "sie_slo_burn_rate", "Error budget burn rate per window", labels=[*LABELS, "window"]
        ),
    )


def latest_snapshots() -> list[Snapshot]:
    """Every SLO's snapshot of the last tick (one indexed MAX, then one range read)."""
    last = Snapshot.objects.aggregate(at=Max("evaluated_at"))["at"]
    if last is None:
        return []
    return list(Snapshot.objects.filter(evaluated_at=last).select_related("slo__service"))


class SLOCollector:
    def describe(self) -> list[Metric]:
        return list(_families())

    def collect(self) -> list[Metric]:
        sli, remaining, burn = _families()
        try:
            snapshots = latest_snapshots()
        except DatabaseError as exc:
            log.warning("slo_metrics_unavailable", error_message=str(exc))
            return [sli, remaining, burn]
        for snap in snapshots:
            labels = [snap.slo.service.name, snap.slo.name]
            if snap.sli is not None:
                sli.add_metric(labels, snap.sli)
            if snap.budget_remaining is not None:
                remaining.add_metric(labels, snap.budget_remaining)
            for window, rate in snap.burn_rates.items():
                if rate is not None:
                    burn.add_metric([*labels, window], rate)
        return [sli, remaining, burn]
