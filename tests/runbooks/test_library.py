"""The shipped library (runbooks/library/*.md) is complete and speaks this product's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from runbooks.sync import LIBRARY_DIR, parse

# Other apps already link these slugs (SLO seeds, alert rules, PagerDuty links).
REQUIRED_SLUGS = {
    "high-error-rate", "high-latency", "queue-backup", "jobs-stuck-pending", "ai-rate-limits",
    "database-connection-pool", "memory-pressure", "nlp-timeouts", "api-rate-limiting",
    "pagerduty-delivery-failures", "slo-burn-rate",
}  # fmt: skip
REQUIRED_SECTIONS = ["Symptoms", "Diagnosis", "Resolution", "Escalation"]
# SPEC §9 metric names (histograms also expose _bucket/_count/_sum series).
METRICS = {
    "sie_http_requests_total", "sie_http_request_duration_seconds", "sie_queue_depth",
    "sie_job_processing_duration_seconds", "sie_job_failures_total", "sie_ai_requests_total",
    "sie_dlq_length", "sie_slo_sli", "sie_slo_error_budget_remaining", "sie_slo_burn_rate",
}  # fmt: skip
SETTINGS_SOURCE = (Path(settings.BASE_DIR) / "sie_site" / "settings.py").read_text()

FILES = sorted(LIBRARY_DIR.glob("*.md"))


def test_the_library_has_exactly_the_runbooks_other_apps_link_to():
    assert {parse(f.name, f.read_text()).slug for f in FILES} == REQUIRED_SLUGS


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_runbook_parses_with_its_slug_as_file_name_and_names_its_alerts(path: Path):
    runbook = parse(path.name, path.read_text())

    assert runbook.slug == path.stem
    assert runbook.title and runbook.tags
    assert runbook.alerts, "every runbook names the alert rule(s) that lead to it"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_runbook_has_every_section_in_order_with_commands(path: Path):
    body = parse(path.name, path.read_text()).body

    headings = re.findall(r"^## (.+)$", body, flags=re.M)
    assert [h for h in headings if h in REQUIRED_SECTIONS] == REQUIRED_SECTIONS
    diagnosis = body.split("## Diagnosis", 1)[1].split("## Resolution", 1)[0]
    assert "```" in diagnosis, "diagnosis gives commands to run, not prose only"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_runbook_uses_only_real_metric_and_setting_names(path: Path):
    text = path.read_text()

    for metric in set(re.findall(r"\bsie_[a-z_]+", text)) - {"sie_site"}:  # the project package
        assert re.sub(r"_(bucket|count|sum)$", "", metric) in METRICS, metric
    for setting in set(re.findall(r"\bSIE_[A-Z_]+", text)):
        assert f'"{setting}"' in SETTINGS_SOURCE, f"{setting} is not read in settings.py"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_link_to_another_runbook_points_into_the_library(path: Path):
    for slug in re.findall(r"\]\(/runbooks/([^/)]+)/\)", path.read_text()):
        assert slug in REQUIRED_SLUGS, slug
