"""The system check keeps rule names and the runbooks' `alerts:` front matter in step."""

from __future__ import annotations

import pytest

from incidents.checks import check_rule_runbooks
from incidents.models import AlertRule

pytestmark = pytest.mark.django_db


def test_the_seeded_rules_and_the_runbook_library_agree():
    assert AlertRule.objects.filter(kind="threshold").count() == 7
    assert AlertRule.objects.filter(kind="burn_rate").count() == 5
    assert check_rule_runbooks(databases=["default"]) == []


def test_a_renamed_rule_warns_both_ways(make_slo):
    AlertRule.objects.filter(name="5xx > 1% for 5 min").update(name="five hundreds")
    ids = sorted(w.id for w in check_rule_runbooks(databases=["default"]))
    assert ids == ["incidents.W001", "incidents.W002", "incidents.W002"]


def test_without_a_database_the_check_stays_quiet():
    assert check_rule_runbooks(databases=None) == []
