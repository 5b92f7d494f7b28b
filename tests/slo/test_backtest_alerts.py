"""`manage.py backtest_alerts` and GET /api/v1/slos/{id}/backtest: the multiwindow alert
conditions replayed over stored history, against hand-computed answers (99.9 % over 30 d)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from slo import backtest

from .conftest import AT, fill, steady

START = AT.replace(minute=0) - timedelta(hours=6)  # where the trouble begins
QUIET = START - timedelta(days=3)


def history(slo, bad_per_minute: int, minutes: int) -> None:
    """3 days of 1,000 clean events a minute, then `minutes` with `bad_per_minute` bad,
    then clean again until AT."""
    fill(slo, steady(QUIET, START, 1000, 1000))
    end = START + timedelta(minutes=minutes)
    fill(slo, steady(START, end, 1000 - bad_per_minute, 1000))
    fill(slo, steady(end, AT, 1000, 1000))


def run(slo, **options) -> backtest.Result:
    return backtest.run(slo, START - timedelta(hours=1), AT, backtest.policy(slo, **options))


def test_a_steady_20x_burn_pages_44_minutes_after_it_starts(make_slo):
    slo = make_slo()
    history(slo, 20, 180)  # 2 % bad = 20x the 0.1 % budget, for 3 hours
    result = run(slo)
    page = next(e for e in result.episodes if e.severity == "page")
    # burn(1h) = 20 × n/60 first exceeds 14.4 with n = 44 bad minutes in the hour.
    assert page.start == START + timedelta(minutes=44)
    assert page.first_bad == START
    assert page.delay == timedelta(minutes=44)
    assert page.rules == ["1h/5m>14.4"]
    # 44 minutes at 20x of a 30-day (43,200-minute) budget.
    assert page.budget_spent == pytest.approx(20 * 44 / 43_200)
    assert result.pages == 1


def test_a_total_outage_pages_within_the_first_minute(make_slo):
    slo = make_slo()
    history(slo, 1000, 10)
    page = next(e for e in run(slo).episodes if e.severity == "page")
    assert page.start == START + timedelta(minutes=1)
    assert page.delay == timedelta(minutes=1)


def test_a_100x_blip_of_5_minutes_never_pages(make_slo):
    slo = make_slo()
    history(slo, 100, 5)
    result = run(slo)
    assert [e.severity for e in result.episodes] == []
    assert result.pages == 0


def test_pyrra_factors_page_earlier_on_the_same_history(make_slo):
    slo = make_slo()
    history(slo, 20, 180)
    page = next(e for e in run(slo, name="pyrra").episodes if e.severity == "page")
    assert page.start == START + timedelta(minutes=43)  # 20 × 43/60 = 14.33 > 14


def test_a_windows_file_defines_other_factors(make_slo, tmp_path):
    slo = make_slo()
    history(slo, 20, 180)
    path = tmp_path / "windows.yaml"
    path.write_text("- {severity: page, long: 30m, short: 5m, factor: 10}\n")
    out = StringIO()
    call_command(
        "backtest_alerts", str(slo.pk), "--from", (START - timedelta(hours=1)).isoformat(),
        "--to", AT.isoformat(), "--windows-file", str(path), stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    # burn(30m) = 20 × n/30 > 10 with n = 16.
    assert "page" in text and "16m" in text and "30m/5m>10" in text
    assert "pages: 1, tickets: 0" in text


def test_the_command_compares_policies_and_refuses_a_bad_range(make_slo):
    slo = make_slo()
    history(slo, 20, 180)
    out = StringIO()
    frm, to = (START - timedelta(hours=1)).isoformat(), AT.isoformat()
    call_command("backtest_alerts", str(slo.pk), "--from", frm, "--to", to,
                 "--policy", "sie", "--policy", "pyrra", stdout=out)  # fmt: skip
    assert "policy sie" in out.getvalue() and "policy pyrra" in out.getvalue()
    with pytest.raises(CommandError, match="--to is before --from"):
        call_command("backtest_alerts", str(slo.pk), "--from", to, "--to", frm)


def test_the_api_returns_the_episodes_as_json(make_slo):
    slo = make_slo()
    history(slo, 20, 180)
    user = User.objects.create_user("sre", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_slo"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    params = {"from": (START - timedelta(hours=1)).isoformat(), "to": AT.isoformat()}
    response = client.get(f"/api/v1/slos/{slo.pk}/backtest", params)
    assert response.status_code == 200, response.json()
    body = response.json()
    page = next(e for e in body["episodes"] if e["severity"] == "page")
    assert page["detection_delay_seconds"] == 44 * 60
    assert body["summary"]["pages"] == 1
    bad = client.get(f"/api/v1/slos/{slo.pk}/backtest", {"from": "yesterday"})
    assert bad.status_code == 400
