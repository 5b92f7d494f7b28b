"""`manage.py import_slo_events SLO FILE.csv|FILE.jsonl [--replace]`: backfill a push SLO
from a file of {timestamp, good, total}; all or nothing, with a progress bar on stderr."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from slo.buckets import Merge
from slo.history import HistoryError, find_slo, import_events, validate_file
from slo.models import Source


class Command(BaseCommand):
    help = "Import good/total events of a push SLO from CSV (timestamp,good,total) or JSONL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slo", help="SLO id or service/name")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--replace", action="store_true", help="replace minutes already stored (idempotent)"
        )

    def handle(self, *args: Any, slo: str, file: Path, replace: bool, **options: Any) -> None:
        try:
            target = find_slo(slo)
            if target.source != Source.PUSH:
                raise HistoryError([f"{target} reads {target.source}; only push SLOs import"])
            events = validate_file(target, file)
        except (HistoryError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        merge = Merge.REPLACE if replace else Merge.ADD
        with tqdm(total=len(events), unit="event", file=self.stderr, disable=None) as bar:
            minutes = import_events(target, events, merge, bar.update)
        self.stdout.write(f"imported {len(events)} events into {minutes} minutes of {target}")
