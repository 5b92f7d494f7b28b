"""A real `celery -A sie_site worker` process enriches what the API accepted."""

from __future__ import annotations

import json

import pytest

from ingestion.models import Mention, MentionStatus
from tests.conftest import requires_postgres, requires_redis
from tests.processes import celery_on_test_db, wait_for

from .conftest import mention


@requires_postgres
@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_enriches_a_posted_mention(make_tenant, tmp_path):
    tenant = make_tenant(brand_terms=["Acme"])
    worker = celery_on_test_db(
        "worker", "-c", "1", "-P", "solo", "--without-gossip", "--without-mingle",
        "--without-heartbeat", var_dir=tmp_path,
    )
    try:
        body = json.dumps(mention(tenant.project.slug, text="I love Acme #happy"))
        response = tenant.client().post("/ingest", data=body, content_type="application/json")
        assert response.status_code == 202
        pk = response.json()["ids"][0]
        enriched = wait_for(
            lambda: Mention.objects.filter(pk=pk, status=MentionStatus.ENRICHED).exists()
        )
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert enriched, output[-3000:]
    stored = Mention.objects.get(pk=pk)
    assert stored.sentiment == "positive" and stored.hashtags == ["happy"]
