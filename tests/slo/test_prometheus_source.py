"""SLIs read through the Prometheus HTTP API, against a fake Prometheus on 127.0.0.1."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from slo import evaluation, sources
from slo.models import SLIMinute

from .conftest import AT

GOOD = 'sum(increase(http_requests_total{job="checkout",code!~"5.."}[$window]))'
TOTAL = 'sum(increase(http_requests_total{job="checkout"}[$window]))'


class FakePrometheus(BaseHTTPRequestHandler):
    answers: dict[str, object] = {}
    received: list[dict[str, str]] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        url = urlparse(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.received.append({"path": url.path, **params})
        answer = next((a for q, a in self.answers.items() if q in params["query"]), None)
        if answer == "error":
            body, code = {"status": "error", "errorType": "bad_data", "error": "parse error"}, 400
        else:
            result = (
                []
                if answer is None
                else [
                    {"metric": {"code": "200"}, "value": [float(params["time"]), str(v)]}
                    for v in answer
                ]
            )
            body, code = (
                {"status": "success", "data": {"resultType": "vector", "result": result}},
                200,
            )
        payload = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def prometheus(settings):
    FakePrometheus.answers, FakePrometheus.received = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePrometheus)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SIE_PROMETHEUS_URL = f"http://127.0.0.1:{server.server_port}"
    yield FakePrometheus
    server.shutdown()
    server.server_close()


def test_good_and_total_come_from_promql_for_the_last_minute(prometheus, make_slo):
    # Two series in the vector: their values are summed.
    prometheus.answers = {'code!~"5.."': [600, 390.5], 'job="checkout"}': [1000]}
    slo = make_slo(source="prometheus", good_query=GOOD, total_query=TOTAL)
    snapshot = next(s for s in evaluation.evaluate_all(AT) if s.slo_id == slo.pk)
    assert snapshot.sli == pytest.approx(0.9905)
    assert snapshot.burn_rates["5m"] == pytest.approx(9.5)
    row = SLIMinute.objects.get(slo=slo)
    # The increase over 2 minutes, halved: the average minute of the last two.
    assert (row.minute, row.good, row.total) == (AT.replace(minute=36), 495.25, 500)
    queries = sorted(r["query"] for r in prometheus.received)
    assert queries == sorted([GOOD.replace("$window", "2m"), TOTAL.replace("$window", "2m")])
    assert {r["path"] for r in prometheus.received} == {"/api/v1/query"}
    assert {float(r["time"]) for r in prometheus.received} == {AT.timestamp()}


def test_an_empty_answer_is_no_data_not_zero(prometheus, make_slo):
    slo = make_slo(source="prometheus", good_query=GOOD, total_query=TOTAL)
    snapshot = next(s for s in evaluation.evaluate_all(AT) if s.slo_id == slo.pk)
    assert snapshot.status == "no_data"
    assert not SLIMinute.objects.filter(slo=slo).exists()


def test_a_failing_query_skips_that_slo_and_keeps_the_others(prometheus, make_slo):
    prometheus.answers = {"broken": "error", 'code!~"5.."': [10], 'job="checkout"}': [10]}
    broken = make_slo("broken", source="prometheus", good_query="broken", total_query=TOTAL)
    fine = make_slo("fine", source="prometheus", good_query=GOOD, total_query=TOTAL)
    evaluation.evaluate_all(AT)
    assert not SLIMinute.objects.filter(slo=broken).exists()
    assert SLIMinute.objects.get(slo=fine).total == 5  # 10 over 2 minutes


class ScrapedCounters(BaseHTTPRequestHandler):
    """A Prometheus that answers `increase(NAME[RANGE])` as the real one does from counters
    scraped every 60 s (17 s past each minute): fewer than two samples in the range is an
    empty vector, otherwise the increase between them extrapolated to the whole range. A
    query naming "slow" takes 8 s."""

    rates: dict[str, list[float]] = {}  # counter name → increase in each minute since START
    start = AT - timedelta(hours=2)

    def do_GET(self):  # noqa: N802
        params = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        if "slow" in params["query"]:
            time.sleep(8)
        name, minutes = re.search(r"increase\((\w+)\[(\d+)m\]", params["query"]).groups()
        at = float(params["time"])
        scrapes = [t for t in range(int(at) - int(minutes) * 60 + 1, int(at) + 1) if t % 60 == 17]
        result = []
        if len(scrapes) >= 2:
            grown = self._value(name, scrapes[-1]) - self._value(name, scrapes[0])
            value = grown * int(minutes) * 60 / (scrapes[-1] - scrapes[0])
            result = [{"metric": {}, "value": [at, str(value)]}]
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def _value(self, name: str, t: int) -> float:
        elapsed = (t - self.start.timestamp()) / 60  # counters grow evenly within a minute
        per_minute = self.rates[name]
        whole = int(elapsed)
        return sum(per_minute[:whole]) + per_minute[whole] * (elapsed - whole)

    def log_message(self, *args):
        pass


@pytest.fixture
def scraped(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScrapedCounters)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SIE_PROMETHEUS_URL = f"http://127.0.0.1:{server.server_port}"
    yield ScrapedCounters
    server.shutdown()
    server.server_close()


def test_a_60s_scrape_loses_no_minute_so_burn_1h_matches_the_exported_rule(scraped, make_slo):
    # 2 h of 1,000 requests a minute; the last 10 minutes 2 % fail: burn(1h) = 0.2 % / 0.1 %
    # ≈ 3.33 as `rate(...[1h])` says. Missing clean minutes made it 20 and paged.
    good = [1000.0] * 110 + [980.0] * 10 + [1000.0] * 5
    scraped.rates = {"good": good, "requests": [1000.0] * 125}
    slo = make_slo(
        source="prometheus",
        good_query="sum(increase(good[$window]))",
        total_query="sum(increase(requests[$window]))",
    )
    for minute in range(60, 121):
        sources.fetch_prometheus(scraped.start + timedelta(minutes=minute))
    assert SLIMinute.objects.filter(slo=slo).count() == 61
    snapshot = evaluation.compute(AT, [slo.pk])[0]
    # 3.09: the last 43 s since the 17 s scrape are not in Prometheus yet (its own
    # rate(...[1h]) reads about 3.15 then); far from 20, and nothing pages.
    assert snapshot.burn_rates["1h"] == pytest.approx(10 / 3, rel=0.1)
    assert [a for a in snapshot.alerts if a["severity"] == "page"] == []


def test_one_slow_prometheus_query_does_not_hold_up_the_others(scraped, make_slo, settings):
    settings.SIE_PROMETHEUS_TICK_BUDGET = 2.5
    scraped.rates = {"good": [1000.0] * 125, "requests": [1000.0] * 125, "slow": [1.0] * 125}
    query = "sum(increase({}[$window]))"
    slow = make_slo("slow", source="prometheus", good_query=query.format("slow"),
                    total_query=query.format("slow"))  # fmt: skip
    fine = [
        make_slo(
            f"fine-{i}",
            source="prometheus",
            good_query=query.format("good"),
            total_query=query.format("requests"),
        )  # fmt: skip
        for i in range(12)
    ]
    started = time.monotonic()
    sources.fetch_prometheus(AT)
    assert time.monotonic() - started < 5
    assert SLIMinute.objects.filter(slo__in=fine).count() == 12
    assert not SLIMinute.objects.filter(slo=slow).exists()
