"""`manage.py export_prometheus_rules`: promtool accepts the rules, and the page fires on a
series that burns the budget 90 times too fast."""

from __future__ import annotations

import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool not installed (.ci/run installs it)"
)
GOOD = 'sum(increase(http_requests_total{job="checkout",code!~"5.."}[$window]))'
TOTAL = 'sum(increase(http_requests_total{job="checkout"}[$window]))'


@pytest.fixture
def rules_file(make_slo, tmp_path) -> Path:
    make_slo(source="prometheus", good_query=GOOD, total_query=TOTAL, runbook="slo-burn-rate")
    make_slo("pushed")  # push: no series in Prometheus
    path = tmp_path / "slo-rules.yml"
    call_command("export_prometheus_rules", "-o", str(path))
    return path


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60)


def test_every_expressible_slo_gets_seven_recordings_and_two_alerts(rules_file):
    text = rules_file.read_text()
    groups = yaml.safe_load(text)["groups"]
    assert len(groups) == 5  # checkout-availability + 4 of the SIE's own (not queue lag)
    for group in groups:
        records = [r["record"] for r in group["rules"] if "record" in r]
        assert records == [
            f"slo:sli_error:ratio_rate{w}" for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
        ]
        alerts = [r["alert"] for r in group["rules"] if "alert" in r]
        assert alerts == ["SLOErrorBudgetFastBurn", "SLOErrorBudgetSlowBurn"]
    assert "# skipped checkout/pushed: source push has no Prometheus series" in text
    assert "# skipped sie-ingestion/queue-lag" in text


def test_page_factors_follow_the_workbook(rules_file):
    groups = yaml.safe_load(rules_file.read_text())["groups"]
    checkout = next(g for g in groups if g["name"] == "slo-checkout-checkout-availability")
    page = next(r for r in checkout["rules"] if r.get("alert") == "SLOErrorBudgetFastBurn")
    assert "(14.4 * 0.001)" in page["expr"] and "(6 * 0.001)" in page["expr"]
    assert page["annotations"]["runbook_url"].endswith("/runbooks/slo-burn-rate/")


@needs_promtool
def test_promtool_accepts_the_rules(rules_file):
    result = promtool("check", "rules", str(rules_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 45 rules found" in result.stdout


def _expected(rules: dict, group: str, alert: str) -> dict:
    rule = next(
        r
        for g in rules["groups"]
        if g["name"] == group
        for r in g["rules"]
        if r.get("alert") == alert
    )
    return {"exp_labels": rule["labels"], "exp_annotations": rule["annotations"]}


@needs_promtool
def test_promtool_fires_the_page_when_a_tenth_of_requests_fail(rules_file, tmp_path):
    rules = yaml.safe_load(rules_file.read_text())
    ingest = 'sie_http_requests_total{path="ingest",method="POST",status="%s"}'
    series = {
        # Checkout (PromQL source): 600 good and 60 failed a minute, 9 % bad = 90x budget.
        'http_requests_total{job="checkout",code="200"}': "0+600x90",
        'http_requests_total{job="checkout",code="500"}': "0+60x90",
        # The SIE's own telemetry series: 1,000 accepted and 100 failed ingests a minute.
        ingest % "202": "0+1000x90",
        ingest % "503": "0+100x90",
    }
    firing = [
        ("slo-checkout-checkout-availability", "SLOErrorBudgetFastBurn"),
        ("slo-sie-ingestion-ingest-availability", "SLOErrorBudgetFastBurn"),
        ("slo-sie-ingestion-ingest-error-rate", "SLOErrorBudgetFastBurn"),
    ]
    tests = {
        "rule_files": [str(rules_file)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": k, "values": v} for k, v in series.items()],
                "alert_rule_test": [
                    {
                        "eval_time": "70m",
                        "alertname": "SLOErrorBudgetFastBurn",
                        "exp_alerts": [_expected(rules, group, name) for group, name in firing],
                    },
                ],
            }
        ],
    }
    path = tmp_path / "slo-rules.test.yml"
    path.write_text(yaml.safe_dump(tests, sort_keys=False))
    result = promtool("test", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_command_prints_to_stdout(db):
    out = StringIO()
    call_command("export_prometheus_rules", "--service", "sie-ingestion", stdout=out)
    assert 'path=~"ingest|api/v1/ingest"' in out.getvalue()
    assert 'le="2.0"' in out.getvalue()


def test_a_calendar_month_slo_exports_factors_of_the_month_being_evaluated(make_slo):
    slo = make_slo(
        window="calendar_month",
        source="prometheus",
        good_query="sum(rate(ok[$window]))",
        total_query="sum(rate(all[$window]))",
    )
    text = StringIO()
    call_command("export_prometheus_rules", "--service", slo.service.name, stdout=text)
    rules = yaml.safe_load(text.getvalue())["groups"][0]["rules"]
    page = next(r for r in rules if r.get("alert") == "SLOErrorBudgetFastBurn")
    assert "(scalar(clamp_min(days_in_month() * 0.48, 1)) * 0.001)" in page["expr"]
    # The engine holds no alert for a while before it fires; neither do the exported rules.
    assert all("for" not in r for r in rules)
