"""replay_dlq [--id N]...: send dead-lettered enrichment jobs again."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ingestion import recovery
from ingestion.models import DeadLetter


class Command(BaseCommand):
    help = "Replay dead letters (all open ones, or those given with --id)."

    def add_arguments(self, parser):
        parser.add_argument("--id", type=int, action="append", dest="ids", default=[])
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, ids: list[int], dry_run: bool, **opts):
        letters = DeadLetter.objects.filter(replayed_at=None).order_by("failed_at")
        if ids:
            letters = letters.filter(pk__in=ids)
        total = 0
        for letter in letters:
            if dry_run:
                self.stdout.write(f"would replay #{letter.pk}: {letter}")
                continue
            total += recovery.replay(letter)
            self.stdout.write(f"replayed #{letter.pk}: {letter}")
        self.stdout.write(f"{total} mentions re-queued")
