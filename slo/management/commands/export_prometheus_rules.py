"""`manage.py export_prometheus_rules [-o FILE]`: recording + burn-rate alert rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from slo.models import SLO
from slo.prometheus_rules import dump


class Command(BaseCommand):
    help = "Export Prometheus recording and multiwindow burn-rate alerting rules for the SLOs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", action="append", help="only this service (repeatable)")
        parser.add_argument("-o", "--output", help="write to this file instead of stdout")

    def handle(self, *args: Any, service: list[str] | None, output: str | None, **opts: Any):
        slos = SLO.objects.select_related("service").order_by("service__name", "name")
        if service:
            slos = slos.filter(service__name__in=service)
        text = dump(list(slos))
        if output:
            Path(output).write_text(text)
        else:
            self.stdout.write(text, ending="")
