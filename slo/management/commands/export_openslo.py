"""`manage.py export_openslo [--service NAME]… [-o FILE]`: OpenSLO v1 YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from slo.openslo import dump, export_documents


class Command(BaseCommand):
    help = "Export services and their SLOs as OpenSLO v1 documents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", action="append", help="only this service (repeatable)")
        parser.add_argument("-o", "--output", help="write to this file instead of stdout")

    def handle(self, *args: Any, service: list[str] | None, output: str | None, **opts: Any):
        text = dump(export_documents(service))
        if output:
            Path(output).write_text(text)
        else:
            self.stdout.write(text, ending="")
