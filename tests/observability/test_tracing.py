"""OpenTelemetry in one process, with the SDK's in-memory exporter."""

from __future__ import annotations

import json

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from ingestion.models import ApiKey, Customer, Project
from sie_site import tracing


@pytest.fixture
def exporter():
    spans = InMemorySpanExporter()
    tracing.enable(SimpleSpanProcessor(spans), service_name="sie-test")
    yield spans
    tracing.disable()


def test_a_request_is_a_server_span_named_by_its_route(client, db, exporter):
    client.get("/health")
    [span] = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert span.name == "GET health"
    assert span.resource.attributes["service.name"] == "sie-test"


@pytest.fixture
def api_key(transactional_db) -> str:
    # A real commit inside the request, so on_commit publishes while the request span is open.
    customer = Customer.objects.create(name="acme")
    Project.objects.create(customer=customer, slug="acme-main")
    return ApiKey.issue(customer)[1]


def test_queueing_enrichment_stays_in_the_request_trace(client, api_key, exporter):
    body = json.dumps({"project": "acme-main", "external_id": "e-1", "text": "hello"})
    response = client.post("/ingest", data=body, content_type="application/json",
                           HTTP_X_API_KEY=api_key)
    assert response.status_code == 202
    spans = exporter.get_finished_spans()
    [server] = [s for s in spans if s.kind == SpanKind.SERVER]
    [publish] = [s for s in spans if s.name == "apply_async/ingestion.enrich_pending"]
    # The worker continues this trace from the message headers (see test_worker.py).
    assert publish.context.trace_id == server.context.trace_id


def test_tracing_is_off_unless_enabled(client, db, settings):
    assert not settings.SIE_TRACING_ENABLED
    assert not any("opentelemetry" in m for m in settings.MIDDLEWARE)
