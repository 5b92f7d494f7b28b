"""Prometheus metrics of SPEC §9, defined once; every process imports them from here."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Bounds include the SLO thresholds (0.5 s, 2 s, 5 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "sie_http_requests_total", "HTTP requests by route template", ["method", "path", "status"]
)
HTTP_DURATION = Histogram(
    "sie_http_request_duration_seconds",
    "HTTP request duration",
    ["method", "path"],
    buckets=LATENCY_BUCKETS,
)
JOB_DURATION = Histogram(
    "sie_job_processing_duration_seconds",
    "Background job duration",
    ["job_type"],
    buckets=LATENCY_BUCKETS,
)
JOB_FAILURES = Counter(
    "sie_job_failures_total", "Background job failures", ["job_type", "error_type"]
)
AI_REQUESTS = Counter("sie_ai_requests_total", "Remote AI model requests", ["model", "status"])
QUEUE_DEPTH = Gauge("sie_queue_depth", "Mentions waiting for enrichment", ["queue_name"])
DLQ_LENGTH = Gauge("sie_dlq_length", "Dead letters not replayed yet")
