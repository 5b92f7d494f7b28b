"""Nothing accepted is lost: dead letters for poison mentions, replay, and the pending sweep."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import nudges
from .models import DeadLetter, Mention, MentionStatus

SWEEP_LIMIT = 5000


def dead_letter(
    task_name: str, mention_ids: Sequence[int], exc: BaseException, attempts: int
) -> DeadLetter:
    """Park failed mentions; they leave the pending set (and their leases) until replayed."""
    with transaction.atomic():
        Mention.objects.filter(pk__in=mention_ids, status=MentionStatus.PENDING).update(
            status=MentionStatus.FAILED, claimed_until=None, claim_token=""
        )
        return DeadLetter.objects.create(
            task_name=task_name,
            mention_ids=list(mention_ids),
            error_type=type(exc).__name__,
            error_message=str(exc)[:2000],
            attempts=attempts,
        )


def replay(letter: DeadLetter) -> int:
    """Put a dead letter's failed mentions back to pending and nudge a worker after commit."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Mention.objects.filter(
                pk__in=letter.mention_ids, status=MentionStatus.FAILED
            ).values_list("pk", flat=True)
        )
        Mention.objects.filter(pk__in=ids).update(status=MentionStatus.PENDING, queued_at=now)
        letter.mark_replayed(now)
        if ids:
            transaction.on_commit(nudges.publish)
    return len(ids)


def sweep_pending(now: datetime | None = None) -> int:
    """The safety net for lost nudges and dead workers: if mentions have waited longer than
    SIE_SWEEP_AFTER_SECONDS, or a lease has expired (its worker died), wake a worker. Returns
    how many wait (capped at SWEEP_LIMIT); workers claim them from the table."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.SIE_SWEEP_AFTER_SECONDS)
    waiting = (
        Mention.objects.filter(status=MentionStatus.PENDING)
        .filter(
            Q(claimed_until__lt=now) | Q(claimed_until=None, received_at__lt=cutoff)
        )
        .values("pk")[:SWEEP_LIMIT]
        .count()
    )
    if waiting:
        nudges.publish()
    return waiting
