"""A real `celery -A sie_site worker` process enriches what the API accepted."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.db.models import Sum

from ingestion import nudges, recovery
from ingestion.models import HourlyRollup, Mention, MentionStatus, TermRollup
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


# --- the pull model with real worker processes ------------------------------------------

SOLO = ("worker", "-P", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat")


@contextmanager
def workers(tmp_path, count: int = 1, args: tuple[str, ...] = SOLO) -> Iterator[list]:
    started = [celery_on_test_db(*args, var_dir=tmp_path / f"w{n}") for n in range(count)]
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
            process.communicate(timeout=60)


def post_many(tenant, count: int, start: int = 0) -> list[int]:
    ids: list[int] = []
    for first in range(start, start + count, 500):
        batch = {"mentions": [
            mention(tenant.project.slug, n, text=f"Acme is great #n{n % 7} :)")
            for n in range(first, min(first + 500, start + count))
        ]}
        response = tenant.client().post(
            "/ingest", data=json.dumps(batch), content_type="application/json"
        )
        assert response.status_code == 202, response.content
        ids += response.json()["ids"]
    return ids


def enriched() -> int:
    return Mention.objects.filter(status=MentionStatus.ENRICHED).count()


def counted() -> int:
    return HourlyRollup.objects.aggregate(n=Sum("count"))["n"] or 0


@requires_postgres
@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_leaves_leases_that_another_worker_claims(
    make_tenant, tmp_path, monkeypatch
):
    monkeypatch.setenv("SIE_ENRICH_LEASE_SECONDS", "3")
    monkeypatch.setenv("SIE_ENRICH_BATCH_SIZE", "100")
    tenant = make_tenant()
    total = 3000
    post_many(tenant, total)
    leased = Mention.objects.filter(status=MentionStatus.PENDING).exclude(claim_token="")
    with workers(tmp_path / "first") as [first]:
        assert wait_for(leased.exists, timeout=90, every=0.02), first.communicate()[0][-3000:]
        first.kill()  # SIGKILL: no cleanup, its leases stay on the rows
        first.wait(timeout=30)
    orphaned = set(leased.values_list("pk", flat=True))
    assert orphaned and enriched() < total
    with workers(tmp_path / "second") as [second]:
        # Beat's sweep, one tick after the leases expired, wakes the surviving worker.
        time.sleep(3.5)
        assert recovery.sweep_pending() > 0
        done = wait_for(lambda: enriched() == total, timeout=120)
        assert done, (enriched(), second.poll())
    assert counted() == total  # each mention counted once, the orphaned ones included
    assert not Mention.objects.filter(pk__in=orphaned).exclude(status=MentionStatus.ENRICHED)


@requires_postgres
@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_the_backlog_and_enrich_each_mention_once(
    make_tenant, tmp_path, monkeypatch
):
    monkeypatch.setenv("SIE_ENRICH_BATCH_SIZE", "50")
    one, two = make_tenant("one"), make_tenant("two")
    total = 2000
    post_many(one, total // 2)
    post_many(two, total // 2)
    with workers(tmp_path, count=2) as started:
        for _ in started:
            nudges.publish()  # one wake-up each, so both drain the table at once
        done = wait_for(lambda: enriched() == total, timeout=180)
        assert done, [p.poll() for p in started]
    assert counted() == total
    per_term = TermRollup.objects.filter(kind="hashtag").aggregate(n=Sum("count"))["n"]
    assert per_term == total  # one hashtag per mention, counted once


def worker_backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return set(cursor.fetchall())


@requires_postgres
@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_prefork_worker_keeps_one_database_connection_across_tasks(make_tenant, tmp_path):
    tenant = make_tenant()
    seen: list[set[int]] = []
    with workers(tmp_path, args=("worker", "-c", "1", "--without-gossip", "--without-mingle")):
        for n in range(6):
            post_many(tenant, 1, start=n)
            nudges.take()
            nudges.publish()
            assert wait_for(lambda n=n: enriched() == n + 1, timeout=90)
            seen.append(worker_backends())
    # The same backend served every task: no connect (or pool start) per task.
    assert seen[0] and all(pids == seen[0] for pids in seen), seen


@requires_postgres
@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_hostile_mentions_do_not_stall_other_customers(make_tenant, tmp_path, monkeypatch):
    monkeypatch.setenv("SIE_ENRICH_BATCH_SECONDS", "1")
    hostile, calm = make_tenant("hostile"), make_tenant("calm")
    with workers(tmp_path):
        post_many(calm, 1)  # the worker is up and warm once this is enriched
        assert wait_for(lambda: enriched() == 1, timeout=90)
        bad = [mention(hostile.project.slug, n, text="😀" * 10000) for n in range(40)]
        bad += [mention(hostile.project.slug, 100 + n, text="+" * 10000) for n in range(40)]
        response = hostile.client().post(
            "/ingest", data=json.dumps({"mentions": bad}), content_type="application/json"
        )
        assert response.status_code == 202
        time.sleep(1)  # the worker is busy with the hostile backlog
        posted = post_many(calm, 20, start=1)
        started = time.monotonic()
        calm_done = Mention.objects.filter(pk__in=posted, status=MentionStatus.ENRICHED)
        assert wait_for(lambda: calm_done.count() == 20, timeout=60)
        waited = time.monotonic() - started
        hostile_left = Mention.objects.filter(
            project=hostile.project, status=MentionStatus.PENDING
        ).count()
    # Within seconds (generous for a shared machine), while hostile mentions were still queued.
    assert waited < 20 and hostile_left > 0, (waited, hostile_left)
