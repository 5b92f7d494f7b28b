"""Whose error is a 429: `rate_limited` (the customer's own quota) is counted apart and is not
an SLO error; `queue_full` (the SIE turning work away) and 5xx stay errors (issue 10)."""

from __future__ import annotations

import json

from django.db.models import Sum
from prometheus_client import REGISTRY

from ingestion import intake
from ingestion.models import ApiKey, Customer, Project, Tier
from slo.models import RequestBucket
from slo.telemetry import BUFFER

ROUTE = "ingest"


def rate_limited_count() -> float:
    return REGISTRY.get_sample_value(
        "sie_rate_limited_total", {"method": "POST", "path": ROUTE}
    ) or 0.0


def starter_key() -> str:
    customer = Customer.objects.create(name="small", tier=Tier.STARTER)
    Project.objects.create(customer=customer, slug="small-main")
    return ApiKey.issue(customer)[1]


def ingest(client, key: str, n: int):
    body = {"project": "small-main", "external_id": f"e{n}", "text": "hello"}
    return client.post(
        "/ingest", json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key
    )


def counted_by_class() -> dict[str, int]:
    BUFFER.flush()
    rows = RequestBucket.objects.filter(route=ROUTE).values("status_class").annotate(n=Sum("n"))
    return {row["status_class"]: row["n"] for row in rows}


def added(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}


def test_a_customer_over_its_quota_is_a_client_error_counted_apart(client, db, settings):
    settings.SIE_TIER_RATE_LIMITS = {**settings.SIE_TIER_RATE_LIMITS, "starter": 2}
    key, before, buckets = starter_key(), rate_limited_count(), counted_by_class()
    statuses = [ingest(client, key, n).status_code for n in range(5)]
    assert statuses == [202, 202, 429, 429, 429]
    assert rate_limited_count() - before == 3
    # 4xx: good for both the availability and the error-rate SLI; no "429" class.
    assert added(buckets, counted_by_class()) == {"2xx": 2, "4xx": 3}


def test_a_full_queue_is_still_the_sies_error(client, db, settings):
    key, before, buckets = starter_key(), rate_limited_count(), counted_by_class()
    assert ingest(client, key, 0).status_code == 202
    settings.SIE_QUEUE_MAX_SIZE = 1
    intake._pending_sample = (0.0, 0)  # forget the per-process sample
    full = ingest(client, key, 1)
    assert full.status_code == 429 and full.json()["error"]["code"] == "queue_full"
    assert rate_limited_count() == before
    assert added(buckets, counted_by_class()) == {"2xx": 1, "429": 1}
