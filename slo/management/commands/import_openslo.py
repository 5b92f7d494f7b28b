"""`manage.py import_openslo FILE…`: OpenSLO v1 Service/SLO documents, all or nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slo.openslo import OpenSLOError, import_paths


class Command(BaseCommand):
    help = "Import OpenSLO v1 Service and SLO documents (one transaction; nothing on error)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+")
        parser.add_argument(
            "--push-unknown-sources",
            action="store_true",
            help="import metric sources of other types (Datadog, Any, …) as push-fed SLOs",
        )

    def handle(self, *args: Any, files: list[str], push_unknown_sources: bool, **opts: Any):
        try:
            notes = import_paths(files, push_unknown=push_unknown_sources)
        except OpenSLOError as exc:
            raise CommandError("nothing imported:\n" + "\n".join(exc.problems)) from None
        for note in notes:
            self.stdout.write(note)
        self.stdout.write(self.style.SUCCESS(f"imported {', '.join(files)}"))
