"""`manage.py import_slo_events SLO FILE.csv|FILE.jsonl`: large backfills of a push SLO."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from slo.models import SLIHour, SLIMinute


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_slo_events", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_csv_of_ten_days_lands_in_minutes_and_exact_hours(make_slo, tmp_path):
    slo = make_slo()
    now = timezone.now().replace(second=0, microsecond=0)
    lines = ["timestamp,good,total"]
    for i in range(10 * 24 * 6):  # every 10 minutes for 10 days
        lines.append(f"{(now - timedelta(minutes=10 * i + 1)).isoformat()},99,100")
    path = tmp_path / "events.csv"
    path.write_text("\n".join(lines) + "\n")
    out = run(f"{slo.service.name}/{slo.name}", str(path))
    assert "imported 1440 events into 1440 minutes" in out
    assert sum(h.total for h in SLIHour.objects.filter(slo=slo)) == 144_000
    assert sum(h.good for h in SLIHour.objects.filter(slo=slo)) == 142_560
    assert SLIMinute.objects.filter(slo=slo).count() < 1440  # old ones only in hours


def test_jsonl_with_replace_is_idempotent(make_slo, tmp_path):
    slo = make_slo()
    at = timezone.now().replace(second=0, microsecond=0) - timedelta(days=6)
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps({"timestamp": at.isoformat(), "good": 3, "total": 4}) + "\n")
    for _ in range(2):
        run(str(slo.pk), str(path), "--replace")
    hour = SLIHour.objects.get(slo=slo)
    assert (hour.good, hour.total) == (3, 4)


def test_one_bad_line_imports_nothing_and_names_the_line(make_slo, tmp_path):
    slo = make_slo()
    now = timezone.now().isoformat()
    path = tmp_path / "events.csv"
    path.write_text(f"timestamp,good,total\n{now},1,1\n{now},5,2\n")
    with pytest.raises(CommandError, match=r"line 3: good: must not exceed total"):
        run(str(slo.pk), str(path))
    assert not SLIMinute.objects.filter(slo=slo).exists()
