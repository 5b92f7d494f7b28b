"""`manage.py evaluate_slos [--at ISO]`: one evaluation tick, printed as a table;
`--from ISO --to ISO [--step 1h]`: replay snapshots for past moments from stored buckets."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slo.evaluation import evaluate_all, prune, replay
from slo.models import Snapshot

SHOWN_WINDOWS = ("5m", "1h", "6h", "1d", "3d")
ROW = "{:<16} {:<22} {:<9} {:>9} {:>9}  {}  {}"
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_at(raw: str) -> datetime:
    """An ISO 8601 moment in UTC (UTC when it has no offset; other offsets converted)."""
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"{raw!r} is not an ISO 8601 date-time") from None
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def parse_step(raw: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([mhd])", raw)
    if not match or int(match[1]) == 0:
        raise CommandError(f"--step {raw!r}: a duration such as 5m, 1h or 1d")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.3f}%"


def _burns(snapshot: Snapshot) -> str:
    rates = snapshot.burn_rates
    return " ".join(
        f"{w}={'-' if rates.get(w) is None else format(rates[w], '.2f')}" for w in SHOWN_WINDOWS
    )


class Command(BaseCommand):
    help = "Evaluate every SLO as of a moment (default: now), or replay a past range."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", type=parse_at, help="ISO 8601 moment (UTC if no offset)")
        parser.add_argument("--from", dest="start", type=parse_at, help="replay from (ISO)")
        parser.add_argument("--to", dest="end", type=parse_at, help="replay to (ISO, inclusive)")
        parser.add_argument("--step", type=parse_step, default=timedelta(hours=1))

    def handle(self, *args: Any, at: datetime | None = None, **options: Any) -> None:
        start, end = options.get("start"), options.get("end")
        if start or end:
            if not (start and end) or at:
                raise CommandError("a replay needs both --from and --to (and no --at)")
            if end < start:
                raise CommandError("--to is before --from")
            moments = replay(start, end, options["step"])
            self.stdout.write(
                f"replayed {moments} moments from {start:%Y-%m-%dT%H:%MZ} to {end:%Y-%m-%dT%H:%MZ}"
            )
            return
        self._table(evaluate_all(at))
        prune(at)  # by hand there may be no Beat to run the hourly slo.prune

    def _table(self, snapshots: list[Snapshot]) -> None:
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
