"""`manage.py backtest_alerts SLO --from ISO --to ISO [--policy sie|workbook|pyrra]…
[--windows-file YAML]`: would these alert thresholds have fired, when, and how fast?"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from slo import backtest
from slo.history import HistoryError, find_slo
from slo.management.commands.evaluate_slos import parse_at

ROW = "{:<8} {:<18} {:<18} {:>7} {:>13}  {}"


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}m"


class Command(BaseCommand):
    help = "Replay the multiwindow burn-rate alert conditions over an SLO's stored history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slo", help="SLO id or service/name")
        parser.add_argument("--from", dest="start", type=parse_at, required=True)
        parser.add_argument("--to", dest="end", type=parse_at, required=True)
        parser.add_argument(
            "--policy", action="append", choices=backtest.POLICIES, help="repeat to compare"
        )
        parser.add_argument(
            "--windows-file", type=Path, help="YAML [{severity, long, short, factor}]"
        )

    def handle(self, *args: Any, slo: str, start: datetime, end: datetime, **options: Any) -> None:
        try:
            target = find_slo(slo)
            policies = [backtest.policy(target, name) for name in options["policy"] or []]
            if options["windows_file"]:
                policies.append(backtest.policy(target, windows_file=options["windows_file"]))
            for chosen in policies or [backtest.policy(target)]:
                self._print(target, backtest.run(target, start, end, chosen))
        except (HistoryError, backtest.BacktestError) as exc:
            raise CommandError(str(exc)) from exc

    def _print(self, slo: Any, result: backtest.Result) -> None:
        rules = ", ".join(f"{r.severity} {r.label}" for r in result.policy.rules)
        self.stdout.write(
            f"{slo} {result.start:%Y-%m-%dT%H:%MZ} … {result.end:%Y-%m-%dT%H:%MZ}, "
            f"objective {slo.objective.normalize():f}% over {slo.window}, "
            f"policy {result.policy.name}: {rules}"
        )
        self.stdout.write(ROW.format("SEVERITY", "START", "END", "DELAY", "BUDGET SPENT", "RULES"))
        for e in result.episodes:
            self.stdout.write(
                ROW.format(
                    e.severity,
                    f"{e.start:%Y-%m-%dT%H:%MZ}",
                    f"{e.end:%Y-%m-%dT%H:%MZ}",
                    _minutes(e.delay.total_seconds()),
                    f"{e.budget_spent * 100:.2f}%",
                    ", ".join(e.rules),
                )
            )
        self.stdout.write(
            f"pages: {result.pages}, tickets: {result.tickets}, "
            f"noisiest week: {result.noisiest_week_pages()} pages\n"
        )
