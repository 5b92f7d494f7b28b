"""System check slo.W001: an SLO names a runbook the library does not have."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from slo.checks import check_slo_alerts, check_slo_runbooks


def test_the_sie_slos_name_existing_runbooks(db):
    assert check_slo_runbooks(databases=["default"]) == []


def test_an_slo_naming_a_missing_runbook_is_warned_about_by_check(make_slo):
    make_slo(runbook="no-such-runbook")
    messages = check_slo_runbooks(databases=["default"])
    assert [m.id for m in messages] == ["slo.W001"]
    err = StringIO()
    call_command("check", "--database", "default", stderr=err, stdout=StringIO())
    assert "slo.W001" in err.getvalue()
    assert "no-such-runbook" in err.getvalue()


def test_the_seeded_p50_slo_is_warned_about_because_it_can_only_ever_ticket(db):
    messages = check_slo_alerts(databases=["default"])
    assert [(m.id, str(m.obj)) for m in messages] == [
        ("slo.W002", "sie-ingestion/ingest-latency-p50")
    ]
    assert "at 50% a page can never fire" in messages[0].msg
