"""A real `celery -A sie_site worker` process enriches what the API accepted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from ingestion.models import Mention, MentionStatus
from tests.conftest import requires_postgres, requires_redis

from .conftest import mention

ROOT = Path(__file__).resolve().parents[2]


def start_worker(tmp_path) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "SIE_VAR_DIR": str(tmp_path),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "sie_site",
            "worker",
            "-c",
            "1",
            "-P",
            "solo",
            "-l",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@requires_postgres
@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_enriches_a_posted_mention(make_tenant, tmp_path):
    tenant = make_tenant(brand_terms=["Acme"])
    worker = start_worker(tmp_path)
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
