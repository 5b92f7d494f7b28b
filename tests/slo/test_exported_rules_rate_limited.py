"""The exported error-rate rules count a 429 as an error only when the SIE turned the work
away (queue_full), as the engine does: a customer over its own quota (429 rate_limited, also
counted in sie_rate_limited_total) burns no budget (issue 10's leftover)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool not installed (.ci/run installs it)"
)
INGEST = '{path="ingest",method="POST"%s}'


def fast_burn_alerts(tmp_path, series: dict[str, str]) -> subprocess.CompletedProcess:
    """promtool's verdict on "no SLOErrorBudgetFastBurn fires at 70 min" over `series`."""
    rules = tmp_path / "rules.yml"
    call_command("export_prometheus_rules", "--service", "sie-ingestion", "-o", str(rules))
    test = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": k, "values": v} for k, v in series.items()],
                "alert_rule_test": [
                    {"eval_time": "70m", "alertname": "SLOErrorBudgetFastBurn", "exp_alerts": []}
                ],
            }
        ],
    }
    path = tmp_path / "rules.test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    return subprocess.run(
        ["promtool", "test", "rules", str(path)], capture_output=True, text=True, timeout=60
    )


def test_a_customer_over_its_quota_burns_no_error_rate_budget(db, tmp_path):
    series = {
        "sie_http_requests_total" + INGEST % ',status="202"': "0+1000x90",
        "sie_http_requests_total" + INGEST % ',status="429"': "0+100x90",
        "sie_rate_limited_total" + INGEST % "": "0+100x90",
    }
    result = fast_burn_alerts(tmp_path, series)
    assert result.returncode == 0, result.stdout + result.stderr


def test_work_turned_away_queue_full_still_pages(db, tmp_path):
    series = {
        "sie_http_requests_total" + INGEST % ',status="202"': "0+1000x90",
        "sie_http_requests_total" + INGEST % ',status="429"': "0+100x90",  # queue_full
    }
    result = fast_burn_alerts(tmp_path, series)
    assert result.returncode != 0  # the error-rate page fires, so "none fire" fails
    assert "sie-ingestion" in result.stdout + result.stderr
    assert "ingest-error-rate" in result.stdout + result.stderr
