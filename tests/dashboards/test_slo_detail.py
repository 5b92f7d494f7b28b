from __future__ import annotations

import json
import re

import pytest

from runbooks.models import Runbook

from .conftest import history

PAGE = [{"severity": "page", "windows": ["1h", "5m"], "threshold": 14.4, "burn_rates": {}}]


def figure(body: str, name: str) -> dict:
    pattern = rf'<script id="fig-{name}" type="application/json">(.*?)</script>'
    match = re.search(pattern, body, re.S)
    return json.loads(match.group(1))


def test_the_graphs_carry_the_snapshots_of_the_range(staff_client, make_slo):
    slo = make_slo()
    history(slo, 90, 0.9, 0.8)
    body = staff_client.get(f"/dashboards/slo/{slo.pk}/?range=1h").content.decode()
    burndown = figure(body, "burndown")
    assert len(burndown["data"][0]["x"]) == 61  # one a minute over the hour, both ends
    assert burndown["data"][0]["y"][-1] == pytest.approx(80.0)
    ideal = burndown["data"][1]
    assert ideal["line"]["dash"] == "dash" and len(ideal["y"]) == 2
    # rolling 30 days: from 90 % at the range start, burn rate 1 spends 1/720 of it an hour
    assert ideal["y"][0] == pytest.approx(burndown["data"][0]["y"][0])
    assert ideal["y"][0] - ideal["y"][1] == pytest.approx(100 / 720)
    assert len(figure(body, "sli")["data"][0]["y"]) == 61
    burn = figure(body, "burn")
    assert {t["name"] for t in burn["data"]} >= {"5m", "1h", "6h", "3d"}
    thresholds = sorted(s["y0"] for s in burn["layout"]["shapes"])
    assert thresholds == pytest.approx([1.0, 3.0, 6.0, 14.4])


def test_long_ranges_are_sampled_to_a_few_hundred_points(staff_client, make_slo):
    slo = make_slo()
    history(slo, 600, 0.9, 0.8)
    body = staff_client.get(f"/dashboards/slo/{slo.pk}/?range=1d").content.decode()
    points = len(figure(body, "burndown")["data"][0]["x"])
    assert 100 <= points <= 241


def test_it_forecasts_budget_exhaustion_at_the_1h_and_6h_pace(staff_client, make_slo):
    slo = make_slo()  # 30 days = 720 h; half the budget left at burn 10 lasts 36 h
    history(slo, 3, 0.6, 0.5, burn=10.0)
    body = staff_client.get(f"/dashboards/slo/{slo.pk}/").content.decode()
    assert re.search(r'data-exhaustion="1h"><div class="value">36.0h<', body)
    assert re.search(r'data-exhaustion="6h"><div class="value">36.0h<', body)


def test_the_alert_table_shows_which_condition_fires_and_since_when(staff_client, make_slo):
    slo = make_slo()
    history(slo, 10, 0.6, 0.5, burn=20.0, alerts=PAGE, status="at_risk")
    body = staff_client.get(f"/dashboards/slo/{slo.pk}/?range=1h").content.decode()
    rows = re.findall(r'<tr data-severity="(\w+)" data-firing="(\d)">', body)
    assert rows == [("page", "1"), ("page", "0"), ("ticket", "0"), ("ticket", "0")]
    assert "since " in body
    assert "2.1d" in body  # exhaustion at the 14.4× threshold: 720 h / 14.4 = 50 h
    markers = figure(body, "burn")["data"][-1]
    assert markers["name"] == "alert firing" and len(markers["x"]) == 10


def test_it_links_the_slos_runbook(staff_client, make_slo):
    Runbook.objects.create(slug="checkout-errors", title="Checkout errors", body="# x",
                           source_path="checkout-errors.md", content_hash="h")  # fmt: skip
    slo = make_slo(runbook="checkout-errors")
    history(slo, 2, 0.9, 0.9)
    body = staff_client.get(f"/dashboards/slo/{slo.pk}/").content.decode()
    assert 'class="runbook" href="/runbooks/checkout-errors/">Checkout errors</a>' in body


def test_an_slo_never_evaluated_still_renders(staff_client, make_slo):
    slo = make_slo()
    response = staff_client.get(f"/dashboards/slo/{slo.pk}/")
    assert response.status_code == 200
    assert "no data" in response.content.decode()


def test_an_unknown_slo_is_404(staff_client):
    assert staff_client.get("/dashboards/slo/999999/").status_code == 404


def test_a_calendar_month_ideal_line_reaches_zero_at_the_month_end(staff_client, make_slo):
    slo = make_slo(window="calendar_month")
    history(slo, 5, 0.9, 0.9)
    body = staff_client.get(f"/dashboards/slo/{slo.pk}/?range=1h").content.decode()
    ideal = figure(body, "burndown")["data"][1]["y"]
    assert 0 <= ideal[-1] < ideal[0] <= 100
