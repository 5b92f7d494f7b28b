"""SLIs read through the Prometheus HTTP API, against a fake Prometheus on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from slo import evaluation
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
    assert (row.minute, row.good, row.total) == (AT.replace(minute=36), 990.5, 1000)
    queries = [r["query"] for r in prometheus.received]
    assert queries == [GOOD.replace("$window", "1m"), TOTAL.replace("$window", "1m")]
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
    assert SLIMinute.objects.get(slo=fine).total == 10
