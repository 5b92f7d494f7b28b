"""simulate_fault errors: make the SIE's availability SLO burn, for demos and drills.

It records failed `POST /ingest` answers (503) in the request telemetry, exactly as the
telemetry middleware records real ones, so the next Beat ticks see the SLO burn, open an
incident and page PagerDuty (the demo's fake one when no real routing key is configured).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from slo.telemetry import BUFFER

FAULTS = {"errors": (503, 0.05)}  # status, seconds


class Command(BaseCommand):
    help = "Simulate a fault of the SIE itself (errors: ingest answers 503) for N minutes."

    def add_arguments(self, parser):
        parser.add_argument("fault", choices=sorted(FAULTS))
        parser.add_argument("--minutes", type=float, default=3.0)
        parser.add_argument("--per-second", type=int, default=20, help="failed requests a second")

    def handle(self, fault: str, minutes: float, per_second: int, **options):
        status, seconds = FAULTS[fault]
        deadline = time.monotonic() + minutes * 60
        total = 0
        while time.monotonic() < deadline:
            for _ in range(per_second * 5):
                BUFFER.record(timezone.now(), "ingest", "POST", status, seconds)
            BUFFER.flush()
            total += per_second * 5
            self.stdout.write(f"simulate_fault: {total} failed POST /ingest recorded")
            time.sleep(5)
        self.stdout.write(
            self.style.SUCCESS("simulate_fault: done; see /admin/incidents/incident/")
        )
