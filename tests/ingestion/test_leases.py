"""The mention table as the enrichment queue: leases, guarded writes, fairness, nudges."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from ingestion import enrichment, leases, nudges
from ingestion.models import HourlyRollup, Mention, MentionStatus

from .conftest import mention


def ingest(tenant, count: int, start: int = 0) -> list[int]:
    batch = {"mentions": [mention(tenant.project.slug, n) for n in range(start, start + count)]}
    response = tenant.client().post(
        "/ingest", data=json.dumps(batch), content_type="application/json"
    )
    assert response.status_code == 202, response.content
    return response.json()["ids"]


def expire(lease: leases.Lease) -> None:
    Mention.objects.filter(claim_token=lease.token).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )


def test_a_leased_mention_is_not_claimed_again_until_its_lease_expires(tenant):
    ids = ingest(tenant, 5)
    first = leases.claim(10)
    assert first.ids == ids
    assert leases.claim(10).ids == []
    expire(first)
    assert leases.claim(10).ids == ids


def test_only_the_current_lease_holder_writes_and_counts_a_mention(tenant):
    ids = ingest(tenant, 3)
    stale = leases.claim(10)
    expire(stale)
    current = leases.claim(10)  # another worker took the rows over
    assert enrichment.enrich_leased(stale) == 0
    assert Mention.objects.filter(status=MentionStatus.PENDING).count() == 3
    assert enrichment.enrich_leased(current) == 3
    assert enrichment.enrich_leased(stale) == 0
    assert HourlyRollup.objects.get().count == 3
    assert set(Mention.objects.values_list("claim_token", flat=True)) == {""}
    assert sorted(current.ids) == ids


def test_claims_take_turns_across_customers_so_a_backlog_cannot_starve_others(make_tenant):
    big, small = make_tenant("big"), make_tenant("small")
    ingest(big, 300)
    late = ingest(small, 5)
    claimed = leases.claim(20).ids
    assert set(late) <= set(claimed)
    assert len(claimed) == 20


def test_a_batch_out_of_time_releases_the_rest_for_the_next_claim(tenant, settings):
    settings.SIE_ENRICH_BATCH_SECONDS = 0  # every chunk after the first is over budget
    ingest(tenant, enrichment.ANALYSE_CHUNK + 10)  # two chunks: 50 texts, then 10
    lease = leases.claim(500)
    assert enrichment.enrich_leased(lease) == 10  # the cheaper chunk goes first
    assert len(leases.claim(500).ids) == enrichment.ANALYSE_CHUNK  # released, not left to expire


def test_many_requests_publish_one_nudge_until_a_worker_takes_it(tenant, settings):
    nudges.take()
    assert nudges.nudge() is True
    assert [nudges.nudge() for _ in range(5)] == [False] * 5
    nudges.take()  # a worker starts claiming: the next request must wake one again
    assert nudges.nudge() is True
