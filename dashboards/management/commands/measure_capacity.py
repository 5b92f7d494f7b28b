"""measure_capacity: time real ingest requests and enrichment in CPU seconds and store the
per-unit cost the capacity planner (/dashboards/capacity/) sizes instances with."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from dashboards import measurement


class Command(BaseCommand):
    help = "Measure CPU seconds per ingest request and per enriched mention; store them."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=200)

    def handle(self, requests: int, **opts):
        result = measurement.measure(max(requests, 1))
        for row in measurement.record(result):
            self.stdout.write(f"{row.component}: {row.per_unit * 1000:.3f} ms CPU per unit "
                              f"({row.units} units)")  # fmt: skip
