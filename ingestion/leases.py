"""The mention table is the enrichment queue: workers lease pending rows in batches.

A lease is `claimed_until` + `claim_token` on the row. Claiming sets both in one short
statement; a worker killed mid-batch simply lets its leases expire, and the rows are claimed
again. Only the holder of a still-valid token writes a mention's enrichment (see
enrichment.write_enriched), so two workers never both count the same mention.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from .models import Mention, MentionStatus, Project

MENTION = Mention._meta.db_table
PROJECT = Project._meta.db_table
PENDING = MentionStatus.PENDING.value
FREE = f"m.status = '{PENDING}' AND (m.claimed_until IS NULL OR m.claimed_until < %s)"
FREE_UNALIASED = FREE.replace("m.", "")  # SQLite's UPDATE takes no table alias

# Fairness: each customer's oldest pending rows take turns (turn 1 of every customer, then
# turn 2, ...), so one customer's backlog cannot starve another's. On PostgreSQL every
# project contributes at most `limit` candidates from the partial index (mention_pending_claim),
# and SKIP LOCKED lets concurrent workers claim disjoint rows without waiting on each other.
POSTGRES_CLAIM = f"""
WITH ranked AS (
  SELECT c.id, row_number() OVER (PARTITION BY p.customer_id ORDER BY c.id) AS turn
  FROM {PROJECT} p CROSS JOIN LATERAL (
    SELECT m.id FROM {MENTION} m WHERE m.project_id = p.id AND {FREE} ORDER BY m.id LIMIT %s
  ) c
), picked AS (
  SELECT m.id FROM {MENTION} m JOIN ranked r ON r.id = m.id WHERE {FREE}
  ORDER BY r.turn, m.id LIMIT %s FOR UPDATE OF m SKIP LOCKED
)
UPDATE {MENTION} m SET claimed_until = %s, claim_token = %s FROM picked WHERE m.id = picked.id
RETURNING m.id
"""
# SQLite (the embedded default) has one writer at a time: the single statement is atomic.
SQLITE_CLAIM = f"""
UPDATE {MENTION} SET claimed_until = %s, claim_token = %s WHERE id IN (
  SELECT id FROM (
    SELECT m.id, row_number() OVER (PARTITION BY p.customer_id ORDER BY m.id) AS turn
    FROM {MENTION} m JOIN {PROJECT} p ON p.id = m.project_id WHERE {FREE}
  ) ORDER BY turn, id LIMIT %s
) RETURNING id
"""


@dataclass(frozen=True)
class Lease:
    token: str
    ids: list[int]
    until: datetime


def _new_lease_params() -> tuple[str, datetime, datetime]:
    now = timezone.now()
    return uuid.uuid4().hex, now, now + timedelta(seconds=settings.SIE_ENRICH_LEASE_SECONDS)


def claim(limit: int) -> Lease:
    """Lease up to `limit` pending mentions nobody holds (or whose lease expired)."""
    token, now, until = _new_lease_params()
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor == "postgresql":
        sql, params = POSTGRES_CLAIM, [now, limit, now, limit, until, token]
    else:
        sql, params = SQLITE_CLAIM, [adapt(until), token, adapt(now), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = sorted(row[0] for row in cursor.fetchall())
    return Lease(token, ids, until)


def claim_ids(mention_ids: list[int]) -> Lease:
    """Lease those of `mention_ids` that are pending and free (replays, tests, benchmarks)."""
    token, now, until = _new_lease_params()
    if not mention_ids:
        return Lease(token, [], until)
    adapt = connection.ops.adapt_datetimefield_value
    marks = ", ".join(["%s"] * len(mention_ids))
    sql = (
        f"UPDATE {MENTION} SET claimed_until = %s, claim_token = %s"
        f" WHERE id IN ({marks}) AND {FREE_UNALIASED} RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [adapt(until), token, *mention_ids, adapt(now)])
        ids = sorted(row[0] for row in cursor.fetchall())
    return Lease(token, ids, until)


def release(lease: Lease, mention_ids: list[int]) -> int:
    """Give rows back before the lease expires (the batch ran out of time)."""
    return Mention.objects.filter(
        pk__in=mention_ids, claim_token=lease.token, status=MentionStatus.PENDING
    ).update(claimed_until=None, claim_token="")


def any_free() -> bool:
    """Whether some pending mention is claimable now (no lease, or an expired one)."""
    now = timezone.now()
    return (
        Mention.objects.filter(status=MentionStatus.PENDING)
        .filter(Q(claimed_until=None) | Q(claimed_until__lt=now))
        .exists()
    )
