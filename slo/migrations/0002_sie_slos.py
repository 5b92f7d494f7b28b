"""The SIE's own SLOs (SPEC §5), owned by service "sie-ingestion" from the first migrate."""

from __future__ import annotations

from django.db import migrations

INGEST_ROUTES = ["ingest", "api/v1/ingest"]
SERVICE = "sie-ingestion"
# name, display name, kind, objective %, threshold ms, budgeting, runbook
SIE_SLOS = [
    (
        "ingest-availability",
        "Ingest availability 99.9 %",
        "availability",
        "99.9",
        None,
        "occurrences",
        "high-error-rate",
    ),
    (
        "ingest-latency-p50",
        "Ingest P50 < 500 ms",
        "latency",
        "50",
        500,
        "occurrences",
        "high-latency",
    ),
    (
        "ingest-latency-p99",
        "Ingest P99 < 2 s",
        "latency",
        "99",
        2000,
        "occurrences",
        "high-latency",
    ),
    (
        "ingest-error-rate",
        "Ingest error rate < 0.1 %",
        "error_rate",
        "99.9",
        None,
        "occurrences",
        "high-error-rate",
    ),
    ("queue-lag", "Queue lag < 5 min", "queue_lag", "99.9", 300_000, "timeslices", "queue-backup"),
]


def seed(apps, schema_editor):
    Service = apps.get_model("slo", "Service")
    SLO = apps.get_model("slo", "SLO")
    service, _ = Service.objects.get_or_create(
        name=SERVICE,
        defaults={
            "owner": "sre",
            "description": "Smart Ingestion Engine: POST /ingest",
            "tags": ["sie", "tier-1"],
        },
    )
    for name, display, kind, objective, threshold, budgeting, runbook in SIE_SLOS:
        routes = [] if kind == "queue_lag" else INGEST_ROUTES
        SLO.objects.get_or_create(
            service=service,
            name=name,
            defaults={
                "display_name": display,
                "sli": kind,
                "objective": objective,
                "threshold_ms": threshold,
                "window": "30d",
                "budgeting": budgeting,
                "source": "telemetry",
                "routes": routes,
                "methods": ["POST"] if routes else [],
                "runbook": runbook,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("slo", "Service").objects.filter(name=SERVICE).delete()


class Migration(migrations.Migration):
    dependencies = [("slo", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
