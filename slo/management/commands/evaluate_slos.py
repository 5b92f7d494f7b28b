"""`manage.py evaluate_slos [--at ISO]`: one evaluation tick, printed as a table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slo.evaluation import evaluate_all
from slo.models import Snapshot

SHOWN_WINDOWS = ("5m", "1h", "6h", "1d", "3d")
ROW = "{:<16} {:<22} {:<9} {:>9} {:>9}  {}  {}"


def parse_at(raw: str) -> datetime:
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"--at {raw!r} is not an ISO 8601 date-time") from None
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.3f}%"


def _burns(snapshot: Snapshot) -> str:
    rates = snapshot.burn_rates
    return " ".join(
        f"{w}={'-' if rates.get(w) is None else format(rates[w], '.2f')}" for w in SHOWN_WINDOWS
    )


class Command(BaseCommand):
    help = "Evaluate every SLO as of a moment (default: now) and store a snapshot of each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", type=parse_at, help="ISO 8601 moment (UTC if no offset)")

    def handle(self, *args: Any, at: datetime | None = None, **options: Any) -> None:
        snapshots = evaluate_all(at)
        self.stdout.write(ROW.format("SERVICE", "SLO", "STATUS", "SLI", "BUDGET", "BURN", "ALERTS"))
        for snap in sorted(snapshots, key=lambda s: (s.slo.service.name, s.slo.name)):
            alerts = ",".join(f"{a['severity']}:{'/'.join(a['windows'])}" for a in snap.alerts)
            self.stdout.write(
                ROW.format(
                    snap.slo.service.name,
                    snap.slo.name,
                    snap.status,
                    _percent(snap.sli),
                    _percent(snap.budget_remaining),
                    _burns(snap),
                    alerts or "-",
                )
            )
        if snapshots:
            self.stdout.write(
                f"evaluated {len(snapshots)} SLOs at {snapshots[0].evaluated_at:%Y-%m-%dT%H:%MZ}"
            )
