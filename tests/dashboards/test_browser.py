"""The dashboards in a real browser: Debian's Chromium driven by Playwright, against the live
test server. Every request to a host other than 127.0.0.1 is blocked and fails the test, so
a CDN dependency cannot slip in. Screenshots land in var/browser/ as test artifacts."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from dashboards.models import CapacityMeasurement, Component
from incidents.models import Actor, Incident
from ingestion.models import Customer, Mention, Project, Tier
from slo.models import Snapshot

from .conftest import history

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "browser"
DOCS = Path(settings.BASE_DIR) / "docs"
PASSWORD = "browser-pw-12345"
FIRING = [{"severity": "page", "windows": ["1h", "5m"], "threshold": 14.4, "burn_rates": {}}]

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs {CHROMIUM} (.ci/run: apt)"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator:
    # Playwright gives each launch a new empty profile directory itself (it refuses a
    # --user-data-dir argument), which is what a clean run needs. Its sync API keeps an event
    # loop on this thread, which Django's ORM guard would take for async code (Playwright's
    # documented workaround for Django tests).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    try:
        with sync_api.sync_playwright() as p:
            instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(transactional_db, live_server, make_slo):
    """A staff user, SLOs with an hour of history (one burning), mentions and an incident."""
    sre = get_user_model().objects.create_user("sre", password=PASSWORD, is_staff=True)
    # The page compares its numbers with the status API, which checks model permissions.
    sre.user_permissions.set(Permission.objects.filter(content_type__app_label="slo"))
    healthy = make_slo("search-latency", service="search")
    burning = make_slo("checkout-availability", service="checkout")
    history(healthy, 60, 0.95, 0.93, burn=0.4)
    history(burning, 60, 0.40, 0.1234567, burn=18.5, alerts=FIRING, status="at_risk")
    incident = Incident.objects.create(dedup_key="checkout", title="checkout burning budget",
                                       severity="P1", slo=burning, service=burning.service)
    incident.record("triggered", "rule checkout", Actor.RULE)
    customer = Customer.objects.create(name="acme", tier=Tier.PRO)
    project = Project.objects.create(customer=customer, slug="acme")
    now = timezone.now()
    Mention.objects.bulk_create([
        Mention(project=project, external_id=str(i), text="hi", occurred_at=now,
                received_at=now - timedelta(minutes=i % 20, seconds=5), status="enriched",
                enriched_at=now - timedelta(minutes=i % 20))
        for i in range(200)
    ])
    CapacityMeasurement.objects.bulk_create([
        CapacityMeasurement(component=Component.API, cpu_seconds=0.3, units=100, source="t"),
        CapacityMeasurement(component=Component.WORKER, cpu_seconds=0.1, units=100, source="t"),
    ])  # fmt: skip
    return {"url": live_server.url, "burning": burning, "healthy": healthy, "incident": incident}


@pytest.fixture
def page(browser, site) -> Iterator:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    foreign: list[str] = []

    def guard(route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert foreign == [], f"requests left 127.0.0.1: {foreign}"
    assert errors == [], f"JavaScript errors: {errors}"


def login(page, url: str, next_path: str) -> None:
    page.goto(url + next_path)
    assert "/admin/login/" in page.url
    page.fill("#id_username", "sre")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(url + next_path)
    assert page.locator("header.site .user").get_attribute("data-user") == "sre"


def rendered_points(page, graph_id: str) -> int:
    """Data points Plotly drew: the graph must have SVG marks (lines, markers or bars), and
    its computed traces (gd.calcdata; straight lines are simplified in the SVG) count the
    points with a value."""
    page.wait_for_selector(f"#{graph_id} .main-svg")
    return page.evaluate(
        """id => {
            const el = document.getElementById(id);
            const marks = el.querySelectorAll(
                '.scatterlayer .js-line, .scatterlayer .point, .barlayer .point').length;
            if (!marks || !el.calcdata) return 0;
            return el.calcdata.flat().filter(p => p && Number.isFinite(p.y) || p && p.s > 0).length;
        }""",
        graph_id,
    )


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if os.environ.get("SIE_DOCS_SCREENSHOTS"):  # refresh the README's pictures on demand
        DOCS.mkdir(exist_ok=True)
        shutil.copy(ARTIFACTS / f"{name}.png", DOCS / f"{name}.png")


def test_overview_shows_the_status_api_numbers_a_drawn_chart_and_refreshes_itself(page, site):
    login(page, site["url"], "/dashboards/slo/?refresh=2")
    assert rendered_points(page, "slo-scatter") >= 2
    burning = site["burning"]
    api = page.request.get(f"{site['url']}/api/v1/slos/{burning.pk}/status").json()
    row = page.locator(f"tr[data-slo='{burning.pk}']")
    assert float(row.get_attribute("data-budget-remaining")) == api["error_budget"]["remaining"]
    assert f"{api['error_budget']['remaining'] * 100:.2f}%" in row.inner_text()
    assert f"{api['burn_rates']['1h']:.2f}×" in row.inner_text()
    assert row.get_attribute("data-status") == api["status"] == "at_risk"
    first = page.locator("tbody tr.slo").first.get_attribute("data-slo")
    assert first == str(burning.pk)  # worst first
    shoot(page, "slo-overview")
    page.evaluate("window.__sameDocument = true")
    healthy = site["healthy"]
    latest = Snapshot.objects.filter(slo=healthy).latest()
    Snapshot.objects.filter(pk=latest.pk).update(budget_remaining=0.5)  # a re-evaluation
    page.wait_for_selector(f"tr[data-slo='{healthy.pk}'][data-budget-remaining='0.5']",
                           timeout=15_000)  # fmt: skip
    assert page.evaluate("window.__sameDocument") is True  # swapped in, not reloaded


def test_detail_graphs_have_data_and_the_tiles_match_the_api(page, site):
    burning = site["burning"]
    login(page, site["url"], f"/dashboards/slo/{burning.pk}/?range=1h")
    for graph in ("g-burndown", "g-sli", "g-burn"):
        assert rendered_points(page, graph) >= 30, graph
    api = page.request.get(f"{site['url']}/api/v1/slos/{burning.pk}/status").json()
    tiles = page.locator(f".tiles[data-slo='{burning.pk}']")
    assert float(tiles.get_attribute("data-budget-remaining")) == api["error_budget"]["remaining"]
    assert float(tiles.get_attribute("data-burn-1h")) == api["burn_rates"]["1h"]
    assert float(tiles.get_attribute("data-sli")) == api["sli"]
    assert page.locator("tr[data-severity='page'][data-firing='1']").count() == 1
    assert "checkout burning budget" in page.inner_text("main")
    shoot(page, "slo-detail")


def test_capacity_graphs_have_data_and_the_planner_answers(page, site):
    login(page, site["url"], "/dashboards/capacity/")
    assert rendered_points(page, "g-throughput") >= 5
    assert rendered_points(page, "g-workers") >= 5
    page.fill("input[name=mentions_per_day]", "1000000")
    page.fill("input[name=peak_rps]", "700")
    page.click("button:has-text('Plan')")
    page.wait_for_url("**peak_rps=700**")
    # 700 req/s × 3 ms = 2.1 cores → 3 instances at 70 % utilisation
    assert page.locator("[data-api-instances]").first.get_attribute("data-api-instances") == "3"
    shoot(page, "capacity")


def test_acknowledging_an_incident_in_the_browser_changes_it(page, site):
    incident = site["incident"]
    login(page, site["url"], "/dashboards/incidents/")
    page.click("text=checkout burning budget")
    assert page.inner_text("#incident-status") == "triggered"
    shoot(page, "incident")
    page.click("#acknowledge")
    page.wait_for_selector("#incident-status[data-status='acknowledged']")
    assert "sre" in page.inner_text("table.timeline")
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
