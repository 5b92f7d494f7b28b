"""`manage.py backfill_slo SLO --from ISO [--to ISO]`: hourly buckets of a Prometheus SLO
from `query_range` in hour steps (the good/total queries over `$window` = 1h)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from slo.history import HistoryError, backfill_prometheus, find_slo
from slo.management.commands.evaluate_slos import parse_at
from slo.sources import PrometheusError


class Command(BaseCommand):
    help = "Backfill a Prometheus SLO's hourly buckets from query_range (hour steps)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slo", help="SLO id or service/name")
        parser.add_argument("--from", dest="start", type=parse_at, required=True)
        parser.add_argument("--to", dest="end", type=parse_at, help="default: now")

    def handle(self, *args: Any, slo: str, start: datetime, end: datetime | None, **opts: Any):
        end = end or timezone.now()
        try:
            target = find_slo(slo)
            hours = backfill_prometheus(target, start, end)
        except (HistoryError, PrometheusError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backfilled {hours} hours of {target} from Prometheus")
