"""One request followed from the web process into a real Celery worker: logs and traces.

gunicorn and `celery -A sie_site worker` run as subprocesses on one SQLite file with Redis as
the broker, both exporting spans to a fake OTLP collector on 127.0.0.1.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass

import pytest

from tests.conftest import requires_redis

from .conftest import wait_for

pytestmark = [requires_redis, pytest.mark.slow]

REQUEST_ID = "trace-me-0123456789"


def post_mention(base: str, key: str, project: str) -> int:
    body = json.dumps({"project": project, "external_id": "e-1", "text": "I love Acme #happy"})
    request = urllib.request.Request(
        f"{base}/ingest", data=body.encode(), method="POST",
        headers={"Content-Type": "application/json", "X-API-Key": key,
                 "X-Request-ID": REQUEST_ID},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["X-Request-ID"] == REQUEST_ID
        return response.status


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
    return lines


@dataclass
class FollowedRequest:
    web: list[dict]
    worker: list[dict]
    spans: list[tuple[str, str, str]]


def ours(lines: list[dict]) -> list[dict]:
    return [r for r in lines if r.get("request_id") == REQUEST_ID]


@pytest.fixture(scope="module")
def followed(make_site, otlp_collector_module) -> FollowedRequest:
    # All waiting happens here, before any test: the suite's per-test cache.clear() flushes
    # the Redis database that is also the broker.
    collector, endpoint = otlp_collector_module
    site = make_site(redis=True)
    key = site.manage("createapikey", "acme", "--project", "acme-main").strip().splitlines()[-1]
    tracing = dict(SIE_TRACING_ENABLED="true", OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
                   OTEL_BSP_SCHEDULE_DELAY="200")
    site.celery_worker(OTEL_SERVICE_NAME="sie-worker", **tracing)
    base = site.gunicorn(workers=1, OTEL_SERVICE_NAME="sie-web", **tracing)
    assert post_mention(base, key, "acme-main") == 202

    def task_done() -> bool:
        return any(r.get("event") == "task_succeeded"
                   for r in ours(json_lines(site.log("worker.log"))))

    assert wait_for(task_done, timeout=90), site.log("worker.log")[-4000:]
    assert wait_for(lambda: any(s == "sie-worker" for s, _, _ in collector.spans), timeout=30)
    with collector.lock:
        spans = list(collector.spans)
    return FollowedRequest(json_lines(site.log("web.log")), json_lines(site.log("worker.log")),
                           spans)


def test_the_request_line_carries_the_request_id_and_spec_fields(followed):
    lines = [r for r in ours(followed.web) if r.get("request") == "POST /ingest"]
    assert len(lines) == 1  # one line per request, no started/finished pair
    line = lines[0]
    assert line["status_code"] == 202 and line["error_message"] is None
    assert line["user_id"] is not None and line["duration_ms"] > 0


def test_the_worker_logs_the_enrichment_under_the_same_request_id(followed):
    task_lines = ours(followed.worker)
    assert [r["event"] for r in task_lines if r.get("task_id")] == ["task_succeeded"]
    assert task_lines[0]["duration_ms"] >= 0


def test_the_task_span_joins_the_trace_of_the_http_request(followed):
    def traces(service: str, name: str) -> set[str]:
        return {t for s, n, t in followed.spans if s == service and n.startswith(name)}

    request_traces = traces("sie-web", "POST")
    assert request_traces
    assert request_traces & traces("sie-worker", "run/ingestion.enrich_pending"), followed.spans
