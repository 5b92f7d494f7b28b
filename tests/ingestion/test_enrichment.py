from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from ingestion import enrichment, leases, nlp, recovery, tasks
from ingestion.enrichment import enrich_batch
from ingestion.models import DeadLetter, HourlyRollup, Mention, MentionStatus, TermRollup

from .conftest import mention


@pytest.fixture
def brand_tenant(make_tenant):
    return make_tenant(brand_terms=["Acme", "Acme Cloud"], product_terms=["Anvil Pro"])


def ingest(tenant, texts, **extra) -> list[int]:
    batch = {
        "mentions": [mention(tenant.project.slug, n, text=t, **extra) for n, t in enumerate(texts)]
    }
    response = tenant.client().post(
        "/ingest", data=json.dumps(batch), content_type="application/json"
    )
    assert response.status_code == 202, response.content
    return response.json()["ids"]


def test_a_batch_is_enriched_with_sentiment_entities_and_rollups(brand_tenant):
    ids = ingest(
        brand_tenant,
        [
            "I absolutely love Acme Cloud! #happy @acmehelp",
            "Anvil Pro broke again, terrible support #fail",
            "Acme announced something https://example.com",
        ],
        posted_at="2026-11-20T10:15:00Z",
    )
    assert enrich_batch(ids) == 3
    pos, neg, neu = (Mention.objects.get(pk=i) for i in ids)
    assert (pos.status, pos.sentiment, neg.sentiment, neu.sentiment) == (
        MentionStatus.ENRICHED,
        "positive",
        "negative",
        "neutral",
    )
    assert pos.compound > 0.05 > -0.05 > neg.compound
    assert {"text": "Acme Cloud", "label": "BRAND"} in [
        {"text": e["text"], "label": e["label"]} for e in pos.entities
    ]
    assert "happy" in pos.hashtags and "fail" in neg.hashtags
    assert any(e["label"] == "PRODUCT" for e in neg.entities)
    rollup = HourlyRollup.objects.get(project=brand_tenant.project)
    assert (rollup.count, rollup.positive, rollup.neutral, rollup.negative) == (3, 1, 1, 1)
    assert rollup.bucket.isoformat() == "2026-11-20T10:00:00+00:00"
    assert TermRollup.objects.get(kind="hashtag", text="fail").count == 1


def test_enriching_twice_writes_and_counts_once(brand_tenant):
    ids = ingest(brand_tenant, ["good stuff #a", "bad stuff #a"])
    assert enrich_batch(ids) == 2
    assert enrich_batch(ids) == 0
    assert HourlyRollup.objects.get().count == 2
    assert TermRollup.objects.get(kind="hashtag", text="a").count == 2


def test_emoji_rtl_and_cjk_mentions_are_enriched(brand_tenant):
    ids = ingest(brand_tenant, ["Love it 😍🔥 #win", "أحب هذا المنتج", "这个产品很好"])
    assert enrich_batch(ids) == 3
    assert set(Mention.objects.values_list("status", flat=True)) == {MentionStatus.ENRICHED}


def test_a_transient_error_is_retried_and_leaves_the_mentions_pending(
    brand_tenant, monkeypatch
):
    ids = ingest(brand_tenant, ["hello"])
    calls = []

    def flaky(seconds=None):
        calls.append(seconds)
        raise OperationalError("database went away")

    monkeypatch.setattr(tasks, "enrich_pending", flaky)
    tasks.enrich_pending_task.apply()
    assert len(calls) == tasks.EnrichTask.max_retries + 1
    # Database trouble is not the mention's fault: it stays pending for the next run.
    assert not DeadLetter.objects.exists()
    assert Mention.objects.get(pk=ids[0]).status == MentionStatus.PENDING


def test_one_poison_mention_among_199_good_ones_is_dead_lettered_alone(
    brand_tenant, monkeypatch
):
    texts = [f"good mention {n} :)" for n in range(200)]
    texts[137] = "POISON"
    ids = ingest(brand_tenant, texts)
    analyze = nlp.analyze

    def analyze_or_raise(batch, *args):
        # Stands in for an NLP bug that only one input triggers.
        if "POISON" in batch:
            raise ValueError("nlp choked")
        return analyze(batch, *args)

    monkeypatch.setattr(nlp, "analyze", analyze_or_raise)
    assert enrichment.enrich_pending() == 199
    letter = DeadLetter.objects.get()
    assert (letter.mention_ids, letter.error_type) == ([ids[137]], "ValueError")
    assert Mention.objects.filter(status=MentionStatus.ENRICHED).count() == 199
    assert Mention.objects.get(pk=ids[137]).status == MentionStatus.FAILED
    assert HourlyRollup.objects.get().count == 199


def test_replay_dlq_puts_mentions_back_and_they_get_enriched(
    brand_tenant, django_capture_on_commit_callbacks
):
    ids = ingest(brand_tenant, ["love it", "hate it"])
    recovery.dead_letter(tasks.enrich_batch_task.name, ids, ValueError("boom"), attempts=1)
    assert Mention.objects.filter(status=MentionStatus.FAILED).count() == 2
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("replay_dlq", stdout=out)
    assert "2 mentions re-queued" in out.getvalue()
    assert len(callbacks) == 1
    assert DeadLetter.objects.get().replayed_at is not None
    assert enrich_batch(ids) == 2
    call_command("replay_dlq", stdout=(again := StringIO()))
    assert "0 mentions re-queued" in again.getvalue()


def test_the_sweep_counts_only_unleased_mentions_waiting_too_long(brand_tenant, settings):
    settings.SIE_SWEEP_AFTER_SECONDS = 60
    old, leased, fresh, done = ingest(brand_tenant, ["a", "b", "c", "d"])
    enrich_batch([done])
    long_ago = timezone.now() - timedelta(minutes=5)
    Mention.objects.filter(pk__in=[old, leased, done]).update(received_at=long_ago)
    assert leases.claim_ids([leased]).ids == [leased]
    assert recovery.sweep_pending() == 1  # `old`: it nudges a worker, which claims from the table
    assert enrichment.enrich_pending() == 2  # old and fresh; `leased` is someone else's


def test_pending_mentions_are_drained_in_batches_by_one_run(brand_tenant, settings):
    settings.SIE_ENRICH_BATCH_SIZE = 40
    ingest(brand_tenant, [f"text {n}" for n in range(100)])
    assert enrichment.enrich_pending() == 100
    assert HourlyRollup.objects.get().count == 100
    assert enrichment.enrich_pending() == 0


def test_createapikey_prints_a_working_key_alone_on_the_last_line(db, client):
    out = StringIO()
    call_command(
        "createapikey",
        "initech",
        "--tier",
        "pro",
        "--project",
        "initech-a",
        "--project",
        "initech-b",
        stdout=out,
    )
    key = out.getvalue().strip().splitlines()[-1]
    assert key.startswith("sie_") and " " not in key
    body = json.dumps(mention("initech-b"))
    response = client.post(
        "/ingest", data=body, content_type="application/json", HTTP_X_API_KEY=key
    )
    assert response.status_code == 202
    assert Mention.objects.get().project.slug == "initech-b"


@pytest.fixture
def model_server(settings):
    from .fake_model_server import FakeModelServer

    with FakeModelServer() as server:
        settings.SIE_AI_URL = server.url
        settings.SIE_AI_TIMEOUT = 0.3
        settings.SIE_CB_FAILURE_THRESHOLD = 100  # this test is about degrading, not the breaker
        settings.REDIS_URL = ""
        yield server


def test_the_remote_model_result_is_stored_when_it_answers(brand_tenant, model_server):
    ids = ingest(brand_tenant, ["I love Acme", "Acme broke"])
    assert enrich_batch(ids) == 2
    loved, broke = (Mention.objects.get(pk=i) for i in ids)
    assert model_server.received[0]["texts"] == ["I love Acme", "Acme broke"]
    assert loved.ai and broke.ai and not loved.degraded
    assert loved.ai["sentiment"] > 0 > broke.ai["sentiment"]


@pytest.mark.parametrize("mode", ["error", "rate_limited", "slow", "garbage"])
def test_mentions_are_enriched_locally_and_marked_degraded_when_the_model_fails(
    brand_tenant, model_server, mode
):
    model_server.mode = mode
    ids = ingest(brand_tenant, ["I love Acme #win", "meh"])
    assert enrich_batch(ids) == 2
    assert model_server.calls >= 1
    for m in Mention.objects.filter(pk__in=ids):
        assert (m.status, m.degraded, m.ai) == (MentionStatus.ENRICHED, True, {})
        assert m.sentiment  # local VADER still ran
