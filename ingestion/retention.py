"""Retention: mentions older than SIE_MENTION_RETENTION_DAYS are deleted in bounded batches.

Only the mention rows go; the hourly and term roll-ups stay, so insights over old periods
keep their counts and sentiment (they hold no mention text). Pending mentions are never
deleted: an accepted mention is enriched first, however old it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.utils import timezone

from .models import Mention, MentionStatus

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetentionRun:
    deleted: int
    batches: int
    finished: bool  # False: the batch limit stopped it; the next run carries on


def delete_expired(
    now: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None
) -> RetentionRun:
    """Delete mentions received before now - SIE_MENTION_RETENTION_DAYS, oldest first, at
    most `max_batches` batches of `batch_size` rows, each batch its own short statement."""
    days = settings.SIE_MENTION_RETENTION_DAYS
    if days == 0:
        return RetentionRun(0, 0, True)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    batch_size = batch_size or settings.SIE_RETENTION_BATCH_SIZE
    max_batches = max_batches or settings.SIE_RETENTION_MAX_BATCHES
    deleted, after = 0, 0
    for batch in range(1, max_batches + 1):
        count, after, reached_new = _delete_batch(after, cutoff, batch_size)
        deleted += count
        if reached_new:
            log.info("retention_run", deleted=deleted, batches=batch, cutoff=cutoff.isoformat())
            return RetentionRun(deleted, batch, True)
    log.info("retention_run", deleted=deleted, batches=max_batches, cutoff=cutoff.isoformat())
    return RetentionRun(deleted, max_batches, False)


def _delete_batch(after: int, cutoff: datetime, size: int) -> tuple[int, int, bool]:
    # Walk the primary key instead of an index on received_at: ids grow with received_at,
    # so the oldest rows are the lowest ids and each batch is a short range scan of the pk
    # index, starting where the last one stopped (no rescanning of dead tuples, and no
    # extra index for every ingest to maintain). (deleted, last id seen, reached new rows)
    rows = list(
        Mention.objects.filter(pk__gt=after)
        .order_by("pk")
        .values_list("pk", "received_at", "status")[:size]
    )
    if not rows:
        return 0, after, True
    doomed = [
        pk for pk, received, status in rows if received < cutoff and status != MentionStatus.PENDING
    ]
    # No foreign key points at a mention, so this is one plain DELETE ... WHERE id IN (...).
    count = Mention.objects.filter(pk__in=doomed).delete()[0] if doomed else 0
    reached_new = len(rows) < size or any(received >= cutoff for _, received, _ in rows)
    return count, rows[-1][0], reached_new
