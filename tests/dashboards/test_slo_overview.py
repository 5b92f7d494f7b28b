from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from dashboards.staticfinders import PlotlyFinder

from .conftest import history, now_minute, snapshot

FIRING = [{"severity": "page", "windows": ["1h", "5m"], "threshold": 14.4, "burn_rates": {}}]


def rows(response) -> list[str]:
    return re.findall(r'<tr class="slo (\w+)" data-slo="(\d+)"', response.content.decode())


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_staff_login(client: Client):
    for url in ["/dashboards/slo/", "/dashboards/slo/1/", "/dashboards/capacity/", "/"]:
        response = client.get(url, follow=True)
        assert response.redirect_chain, url
        assert response.redirect_chain[-1][0].startswith("/admin/login/"), url


def test_a_logged_in_customer_who_is_not_staff_cannot_see_dashboards(db, django_user_model):
    user = django_user_model.objects.create_user("customer", password="pw-12345678")
    client = Client()
    client.force_login(user)
    assert client.get("/dashboards/slo/").status_code == 302


def test_every_slo_is_listed_worst_first(staff_client, make_slo):
    healthy = make_slo("healthy")
    breached = make_slo("breached")
    risky_low = make_slo("risky-low")
    risky_high = make_slo("risky-high")
    silent = make_slo("silent")
    at = now_minute()
    snapshot(healthy, at, 0.9)
    snapshot(breached, at, -0.2, status="breached", burn=20)
    snapshot(risky_low, at, 0.1, status="at_risk", alerts=FIRING)
    snapshot(risky_high, at, 0.6, status="at_risk", alerts=FIRING)
    snapshot(silent, at, None, status="no_data")
    expected = [breached, risky_low, risky_high, silent, healthy]
    mine = {s.pk for s in expected}  # migrations also seed the SIE's own SLOs
    listed = [r for r in rows(staff_client.get("/dashboards/slo/")) if int(r[1]) in mine]
    assert [int(pk) for _, pk in listed] == [s.pk for s in expected]
    assert [status for status, _ in listed] == ["breached", "at_risk", "at_risk", "no_data", "ok"]


def test_the_row_shows_the_latest_snapshot_not_an_older_one(staff_client, make_slo):
    slo = make_slo()
    history(slo, 10, 0.9, 0.5)
    body = staff_client.get("/dashboards/slo/").content.decode()
    assert 'data-budget-remaining="0.5"' in body
    assert "50.00%" in body


def test_filters_by_service_status_firing_and_budget_are_read_from_the_url(
    staff_client, make_slo
):
    a = make_slo("a", service="checkout")
    b = make_slo("b", service="search")
    c = make_slo("c", service="search")
    at = now_minute()
    snapshot(a, at, 0.2, status="at_risk", alerts=FIRING)
    snapshot(b, at, 0.2, status="at_risk")
    snapshot(c, at, 0.9)

    def ids(query: str) -> set[int]:
        return {int(pk) for _, pk in rows(staff_client.get(f"/dashboards/slo/{query}"))}

    assert ids("?service=search") == {b.pk, c.pk}
    assert ids("?status=at_risk") == {a.pk, b.pk}
    assert ids("?firing=1") == {a.pk}
    assert ids("?budget_below=50") == {a.pk, b.pk}
    assert ids("?service=search&budget_below=50") == {b.pk}
    page = staff_client.get("/dashboards/slo/?service=search").content.decode()
    assert '<option value="search" selected>' in page


def test_the_fragment_is_only_the_live_part_for_the_refresh(staff_client, make_slo):
    snapshot(make_slo(), now_minute(), 0.7)
    fragment = staff_client.get("/dashboards/slo/?fragment=1").content.decode()
    assert 'class="slo ok"' in fragment
    assert "<html" not in fragment and "<nav" not in fragment
    page = staff_client.get("/dashboards/slo/").content.decode()
    assert 'id="live" data-refresh="30"' in page


def test_the_sparkline_draws_the_budget_of_the_last_day(staff_client, make_slo):
    history(make_slo(), 30, 1.0, 0.4)
    body = staff_client.get("/dashboards/slo/").content.decode()
    points = re.search(r'<polyline points="([^"]+)"', body).group(1).split()
    assert len(points) >= 10
    first_y, last_y = float(points[0].split(",")[1]), float(points[-1].split(",")[1])
    assert last_y > first_y  # lower budget is drawn lower (SVG y grows downwards)


def test_numbers_on_the_page_equal_the_status_api(staff_client, make_slo):
    slo = make_slo()
    history(slo, 5, 0.8, 0.61234567, burn=3.25)
    api = staff_client.get(f"/api/v1/slos/{slo.pk}/status").json()
    body = staff_client.get("/dashboards/slo/").content.decode()
    assert f'data-budget-remaining="{api["error_budget"]["remaining"]!r}"' in body
    assert f'data-sli="{api["sli"]!r}"' in body
    assert f'data-burn="1h" data-value="{api["burn_rates"]["1h"]!r}"' in body


def test_the_page_loads_plotly_from_this_site_only(staff_client, make_slo):
    snapshot(make_slo(), now_minute(), 0.7)
    body = staff_client.get("/dashboards/slo/").content.decode()
    assert '<script src="/static/dashboards/vendor/plotly.min.js">' in body
    assert not re.search(r'(src|href)="(https?:)?//', body)


def test_plotly_js_is_a_static_file_from_the_installed_package():
    found = finders.find("dashboards/vendor/plotly.min.js")
    assert found and found.endswith("plotly/package_data/plotly.min.js")
    assert any(path == "plotly.min.js" for path, _ in PlotlyFinder().list([]))
