from __future__ import annotations

import json
import re
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from dashboards.models import CapacityMeasurement, Component
from ingestion.models import Customer, Mention, Project, Tier


def figure(body: str, name: str) -> dict:
    pattern = rf'<script id="fig-{name}" type="application/json">(.*?)</script>'
    return json.loads(re.search(pattern, body, re.S).group(1))


def make_mentions(tier: str, n: int, *, enriched: bool) -> None:
    customer = Customer.objects.create(name=f"c-{tier}", tier=tier)
    project = Project.objects.create(customer=customer, slug=f"p-{tier}")
    now = timezone.now()
    Mention.objects.bulk_create([
        Mention(project=project, external_id=f"{tier}-{i}", text="hello", occurred_at=now,
                received_at=now - timedelta(seconds=30),
                status="enriched" if enriched else "pending",
                enriched_at=now - timedelta(seconds=20) if enriched else None)
        for i in range(n)
    ])  # fmt: skip


def test_throughput_per_tier_queue_and_workers_come_from_stored_mentions(staff_client):
    make_mentions(Tier.PRO, 120, enriched=True)
    make_mentions(Tier.STARTER, 7, enriched=False)
    body = staff_client.get("/dashboards/capacity/").content.decode()
    assert re.search(r'data-tier="pro"><td>pro</td><td class="num">120<', body)
    assert re.search(r'data-queue="pending"><div class="value">7<', body)
    throughput = figure(body, "throughput")
    pro = next(t for t in throughput["data"] if t["name"] == "pro")
    assert sum(pro["y"]) * 60 == 120
    workers = figure(body, "workers")
    assert sum(workers["data"][0]["y"]) * 60 == 120
    assert workers["data"][1]["y"][0] == 10.0  # received 30 s ago, enriched 20 s ago


def test_the_planner_uses_the_latest_measured_cost(staff_client, db):
    CapacityMeasurement.objects.create(component=Component.API, cpu_seconds=1.0, units=100,
                                       source="old",
                                       measured_at=timezone.now() - timedelta(days=1))
    CapacityMeasurement.objects.create(component=Component.API, cpu_seconds=0.4, units=200,
                                       source="test")  # 2 ms a request
    CapacityMeasurement.objects.create(component=Component.WORKER, cpu_seconds=0.1, units=100,
                                       source="test")  # 1 ms a mention  # fmt: skip
    body = staff_client.get("/dashboards/capacity/?mentions_per_day=2000000&peak_rps=700")
    body = body.content.decode()
    # 700 req/s × 2 ms = 1.4 cores → 2 instances at 70 %; 2M/day × 2 × 1 ms = 0.046 core → 1
    assert 'data-api-instances="2"' in body and 'data-worker-instances="1"' in body
    assert 'data-cost="api" data-value="0.002"' in body
    assert re.search(r'data-plan="enterprise">.*?</tr>', body, re.S)


def test_without_a_measurement_the_page_says_how_to_measure(staff_client):
    body = staff_client.get("/dashboards/capacity/").content.decode()
    assert "not measured yet" in body and 'data-api-instances=""' in body


def test_measure_capacity_times_real_requests_and_enrichment_and_leaves_nothing(db):
    mentions_before = Mention.objects.count()
    call_command("measure_capacity", requests=20, stdout=open("/dev/null", "w"))
    api = CapacityMeasurement.objects.get(component=Component.API)
    worker = CapacityMeasurement.objects.get(component=Component.WORKER)
    assert api.units == 20 and worker.units == 20
    assert 0 < api.per_unit < 1 and 0 < worker.per_unit < 1
    assert Mention.objects.count() == mentions_before
    assert not Customer.objects.filter(name__startswith="capacity-probe").exists()
