from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from runbooks.sync import LIBRARY_DIR, SyncReport, sync_library


class Command(BaseCommand):
    help = (
        "Sync runbook Markdown files into the database: a revision per change, runbooks "
        "whose file is gone are archived. Exits 1 if any file is invalid (the rest still sync)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", nargs="?", type=Path, default=LIBRARY_DIR,
            help=f"library directory of *.md files (default: {LIBRARY_DIR})",
        )  # fmt: skip

    def handle(self, *args: Any, path: Path, **options: Any) -> None:
        try:
            report = sync_library(path)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        self._print(report)
        if report.errors:
            raise CommandError(f"{len(report.errors)} invalid runbook file(s); the rest synced")

    def _print(self, report: SyncReport) -> None:
        changes = {
            "created": report.created,
            "updated": report.updated,
            "restored": report.restored,
            "archived": report.archived,
        }
        for verb, slugs in changes.items():
            for slug in slugs:
                self.stdout.write(f"{verb} {slug}")
        for error in report.errors:
            self.stderr.write(f"invalid {error}")
        self.stdout.write(report.summary())
