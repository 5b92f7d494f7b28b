"""OpenTelemetry tracing (SIE_TRACING_ENABLED): Django, Celery, psycopg and outgoing requests.

Spans go to the OTLP/HTTP collector at OTEL_EXPORTER_OTLP_ENDPOINT. The W3C trace context
travels in Celery message headers, so a worker's task span joins the trace of the request
that queued it.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

DEFAULT_SERVICE_NAME = "sie"
INSTRUMENTORS = (DjangoInstrumentor, CeleryInstrumentor, PsycopgInstrumentor, RequestsInstrumentor)


def otlp_processor(endpoint: str) -> SpanProcessor:
    """Batch export to `endpoint` (the collector's base URL); empty = the OTel default."""
    if not endpoint:
        return BatchSpanProcessor(OTLPSpanExporter())
    return BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces"))


def enable(processor: SpanProcessor, service_name: str = DEFAULT_SERVICE_NAME) -> TracerProvider:
    """Instrument this process and send its spans through `processor`.

    Call before Django builds its middleware chain (AppConfig.ready does). BatchSpanProcessor
    restarts its export thread after fork, so Celery's prefork children and gunicorn workers
    forked from a configured parent export too.
    """
    resource = Resource.create()  # reads OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: service_name}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    for instrumentor in INSTRUMENTORS:
        instrumentor().instrument(tracer_provider=provider)
    return provider


def disable() -> None:
    """Remove the instrumentation again (the global provider cannot be unset)."""
    for instrumentor in INSTRUMENTORS:
        if instrumentor().is_instrumented_by_opentelemetry:
            instrumentor().uninstrument()
