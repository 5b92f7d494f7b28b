"""GET /metrics in one process: SPEC §9 names and labels, route labels, access, queue gauges."""

from __future__ import annotations

import shutil
import subprocess
from io import StringIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from ingestion.models import Customer, DeadLetter, Mention, MentionStatus, Project
from sie_site.metrics import AI_REQUESTS, JOB_DURATION, JOB_FAILURES

# SPEC §9: family name (as the parser reports it) -> (type, label names).
SPEC_METRICS = {
    "sie_http_requests": ("counter", {"method", "path", "status"}),
    "sie_http_request_duration_seconds": ("histogram", {"method", "path"}),
    "sie_queue_depth": ("gauge", {"queue_name"}),
    "sie_job_processing_duration_seconds": ("histogram", {"job_type"}),
    "sie_job_failures": ("counter", {"job_type", "error_type"}),
    "sie_ai_requests": ("counter", {"model", "status"}),
    "sie_dlq_length": ("gauge", set()),
}
HISTOGRAM_SAMPLE_LABELS = {"le"}


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {f.name: f for f in text_string_to_metric_families(response.content.decode())}


def sample_value(family, name: str, **labels: str) -> float:
    for sample in family.samples:
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return sample.value
    return 0.0


@pytest.fixture
def project(db) -> Project:
    customer = Customer.objects.create(name="acme")
    return Project.objects.create(customer=customer, slug="acme-main")


def make_mentions(project: Project, count: int, status: str) -> None:
    now = timezone.now()
    start = Mention.objects.count()
    Mention.objects.bulk_create(
        Mention(project=project, external_id=f"m-{start + i}", text="hi", status=status,
                received_at=now, occurred_at=now, queued_at=now)
        for i in range(count)
    )


def test_every_spec_metric_is_exposed_with_its_type_and_labels(client, db):
    client.get("/health")
    # Worker-side metrics get a series once a job or AI call happens; make one of each.
    JOB_DURATION.labels(job_type="enrich_batch")
    JOB_FAILURES.labels(job_type="enrich_batch", error_type="OperationalError")
    AI_REQUESTS.labels(model="sie-fast", status="ok")
    families = scrape(client)
    for name, (kind, labels) in SPEC_METRICS.items():
        assert families[name].type == kind, name
        label_sets = {frozenset(s.labels) - HISTOGRAM_SAMPLE_LABELS for s in families[name].samples}
        assert label_sets == {frozenset(labels)}, (name, label_sets)


def test_process_metrics_are_exposed_too(client, db):
    families = scrape(client)
    assert sample_value(families["process_resident_memory_bytes"],
                        "process_resident_memory_bytes") > 0


def test_paths_are_route_templates_and_unmatched_urls_share_one_label(client, db):
    before = scrape(client)["sie_http_requests"]
    for n in range(3):
        client.get(f"/no-such-page/{n}")
    client.get("/health")
    requests = scrape(client)["sie_http_requests"]
    unmatched = dict(name="sie_http_requests_total", method="GET", path="<unmatched>",
                     status="404")
    assert sample_value(requests, **unmatched) - sample_value(before, **unmatched) == 3
    paths = {s.labels["path"] for s in requests.samples}
    assert "health" in paths
    assert not any(p.startswith("no-such-page") for p in paths)


def test_latency_buckets_include_the_slo_thresholds(client, db):
    client.get("/health")
    histogram = scrape(client)["sie_http_request_duration_seconds"]
    bounds = {s.labels["le"] for s in histogram.samples if s.name.endswith("_bucket")}
    assert {"0.5", "2.0", "5.0"} <= bounds


def test_queue_gauges_count_pending_mentions_and_open_dead_letters(client, project):
    make_mentions(project, 3, MentionStatus.PENDING)
    make_mentions(project, 2, MentionStatus.ENRICHED)
    DeadLetter.objects.create(task_name="ingestion.enrich_batch", mention_ids=[1],
                              error_type="ValueError")
    DeadLetter.objects.create(task_name="ingestion.enrich_batch", mention_ids=[2],
                              error_type="ValueError", replayed_at=timezone.now())
    families = scrape(client)
    assert sample_value(families["sie_queue_depth"], "sie_queue_depth",
                        queue_name="enrichment") == 3
    assert sample_value(families["sie_dlq_length"], "sie_dlq_length") == 1


def test_queue_gauges_cost_one_query_each_and_are_cached_between_scrapes(client, project):
    make_mentions(project, 1, MentionStatus.PENDING)
    with CaptureQueriesContext(connection) as first:
        scrape(client)
    make_mentions(project, 4, MentionStatus.PENDING)
    with CaptureQueriesContext(connection) as second:
        families = scrape(client)
    counts = [q["sql"] for q in first.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 2
    # The SLO gauges read the latest snapshots on every scrape; the queue tables are not read.
    queue_reads = [q["sql"] for q in second.captured_queries
                   if "ingestion_mention" in q["sql"] or "ingestion_deadletter" in q["sql"]]
    assert queue_reads == []
    assert sample_value(families["sie_queue_depth"], "sie_queue_depth",
                        queue_name="enrichment") == 1


def test_clients_outside_the_allow_list_are_refused(client, db, settings):
    settings.SIE_METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_bearer_token_opens_metrics_to_any_address(client, db, settings):
    settings.SIE_METRICS_TOKEN = "s3cret-token"
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9",
                       HTTP_AUTHORIZATION="Bearer nope")
    right = client.get("/metrics", REMOTE_ADDR="203.0.113.9",
                       HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert (wrong.status_code, right.status_code) == (403, 200)


def test_metrics_can_be_switched_off(client, db, settings):
    settings.SIE_METRICS_ENABLED = False
    assert client.get("/metrics").status_code == 404


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool not installed (.ci/run installs Debian's prometheus)")
def test_promtool_accepts_the_exposition(client, db):
    client.get("/health")
    body = client.get("/metrics").content
    done = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_slo_gauges_come_from_the_latest_evaluation(client, db):
    from django.core.management import call_command

    call_command("evaluate_slos", stdout=StringIO())
    families = scrape(client)
    # Only SLOs with data get samples; the queue-lag SLO samples the queue at every tick.
    slos = {s.labels["slo"] for s in families["sie_slo_sli"].samples
            if s.labels["service"] == "sie-ingestion"}
    assert "queue-lag" in slos
    windows = {s.labels["window"] for s in families["sie_slo_burn_rate"].samples}
    assert {"5m", "30m", "1h", "6h", "1d", "3d"} <= windows
    assert "sie_slo_error_budget_remaining" in families
