"""`manage.py export_openslo`: OpenSLO v1 that imports back to the very same SLOs."""

from __future__ import annotations

from io import StringIO

import yaml
from django.core.management import call_command
from django.forms.models import model_to_dict

from slo.models import SLO, Service

COMPARED = [
    f.name for f in SLO._meta.fields if f.name not in {"id", "service", "created_at", "updated_at"}
]


def snapshot_of_all_slos() -> dict:
    return {
        (slo.service.name, slo.name): model_to_dict(slo, fields=COMPARED)
        for slo in SLO.objects.select_related("service")
    }


def test_export_then_import_leaves_every_slo_unchanged(make_slo, tmp_path):
    make_slo(
        "prom",
        source="prometheus",
        good_query="sum(up[$window])",
        total_query="count(up)",
        window="calendar_month",
        budgeting="timeslices",
        timeslice_target="0.95",
        runbook="slo-burn-rate",
        display_name="Prom ✓",
        description="from Prometheus",
    )
    make_slo(
        "pushed-latency",
        service="search",
        sli="latency",
        threshold_ms=750,
        objective="99.95",
        window="7d",
    )
    Service.objects.filter(name="checkout").update(owner="payments", tags=["tier-1", "eu"])
    before = snapshot_of_all_slos()
    path = tmp_path / "all.yaml"
    call_command("export_openslo", "-o", str(path))
    docs = list(yaml.safe_load_all(path.read_text()))
    assert {d["kind"] for d in docs} == {"Service", "SLO"}
    assert all(d["apiVersion"] == "openslo/v1" for d in docs)
    SLO.objects.all().delete()
    Service.objects.all().delete()
    call_command("import_openslo", str(path), stdout=StringIO())
    assert snapshot_of_all_slos() == before
    assert Service.objects.get(name="checkout").tags == ["tier-1", "eu"]


def test_export_can_be_limited_to_one_service(db):
    out = StringIO()
    call_command("export_openslo", "--service", "sie-ingestion", stdout=out)
    docs = list(yaml.safe_load_all(out.getvalue()))
    assert [d["metadata"]["name"] for d in docs if d["kind"] == "SLO"] == [
        "ingest-availability",
        "ingest-error-rate",
        "ingest-latency-p50",
        "ingest-latency-p99",
        "queue-lag",
    ]
    p99 = next(d for d in docs if d["metadata"]["name"] == "ingest-latency-p99")
    assert p99["spec"]["objectives"] == [{"target": 0.99, "op": "lte", "value": 2000}]
