"""The product measures its own cost: real ingest requests and real enrichment, timed in CPU
seconds (time.process_time) inside a transaction that is rolled back afterwards, so nothing
measured stays in the database and nothing is queued."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from django.db import transaction
from django.test import Client

from ingestion.enrichment import enrich_batch
from ingestion.models import ApiKey, Customer, Project, Tier

from .models import CapacityMeasurement, Component

WARM_UP = 5
ENRICH_CHUNK = 200
SOURCE = "measure_capacity"
TEXTS = (
    "Loving the new Acme Cloud dashboard, setup took two minutes #devops",
    "Acme support kept me waiting for 3 days, really disappointed @acme",
    "Is the RoadRunner 3000 worth it compared to Globex? Thinking about switching",
    "Anvil Pro broke again after the update. Not impressed.",
)


@dataclass(frozen=True)
class Result:
    requests: int
    request_cpu: float
    mentions: int
    mention_cpu: float


def _post(client: Client, key: str, project: str, n: int) -> list[int]:
    body = {"project": project, "external_id": f"capacity-{n}", "text": TEXTS[n % len(TEXTS)]}
    response = client.post(
        "/ingest", data=json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key
    )
    if response.status_code != 202:
        raise RuntimeError(f"ingest answered {response.status_code}: {response.content[:200]!r}")
    return response.json()["ids"]


def measure(requests: int) -> Result:
    """Time `requests` single-mention ingests and the enrichment of those mentions."""
    with transaction.atomic():
        customer = Customer.objects.create(name=f"capacity-probe-{time.time_ns()}",
                                           tier=Tier.ENTERPRISE)  # fmt: skip
        project = Project.objects.create(customer=customer, slug=f"capacity-{time.time_ns()}")
        key = ApiKey.issue(customer, name="capacity probe")[1]
        client = Client()
        warm = [i for n in range(WARM_UP) for i in _post(client, key, project.slug, -1 - n)]
        enrich_batch(warm)  # loads the NLP pipeline outside the timed part
        started = time.process_time()
        ids = [i for n in range(requests) for i in _post(client, key, project.slug, n)]
        request_cpu = time.process_time() - started
        started = time.process_time()
        enriched = sum(enrich_batch(ids[i : i + ENRICH_CHUNK])
                       for i in range(0, len(ids), ENRICH_CHUNK))  # fmt: skip
        mention_cpu = time.process_time() - started
        transaction.set_rollback(True)
    return Result(requests, request_cpu, enriched, mention_cpu)


def record(result: Result) -> list[CapacityMeasurement]:
    return CapacityMeasurement.objects.bulk_create([
        CapacityMeasurement(component=Component.API, cpu_seconds=result.request_cpu,
                            units=result.requests, source=SOURCE),
        CapacityMeasurement(component=Component.WORKER, cpu_seconds=result.mention_cpu,
                            units=max(result.mentions, 1), source=SOURCE),
    ])  # fmt: skip
