"""Nothing accepted is lost: dead letters for failed jobs, replay, and the pending sweeper."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import intake
from .models import DeadLetter, Mention, MentionStatus

SWEEP_LIMIT = 5000


def dead_letter(
    task_name: str, mention_ids: Sequence[int], exc: BaseException, attempts: int
) -> DeadLetter:
    """Park a failed job; its mentions leave the pending set until replayed."""
    with transaction.atomic():
        Mention.objects.filter(pk__in=mention_ids, status=MentionStatus.PENDING).update(
            status=MentionStatus.FAILED
        )
        return DeadLetter.objects.create(
            task_name=task_name,
            mention_ids=list(mention_ids),
            error_type=type(exc).__name__,
            error_message=str(exc)[:2000],
            attempts=attempts,
        )


def replay(letter: DeadLetter) -> int:
    """Put a dead letter's failed mentions back to pending and queue them after commit."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Mention.objects.filter(
                pk__in=letter.mention_ids, status=MentionStatus.FAILED
            ).values_list("pk", flat=True)
        )
        Mention.objects.filter(pk__in=ids).update(status=MentionStatus.PENDING, queued_at=now)
        letter.mark_replayed(now)
        transaction.on_commit(lambda: intake.enqueue(ids))
    return len(ids)


def sweep_pending(now: datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """Re-queue mentions queued longer ago than SIE_SWEEP_AFTER_SECONDS (a lost message, a
    broker outage at accept time). Duplicate jobs are harmless: enrichment claims rows."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.SIE_SWEEP_AFTER_SECONDS)
    ids = list(
        Mention.objects.filter(status=MentionStatus.PENDING)
        .filter(Q(queued_at__lt=cutoff) | Q(queued_at=None))
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        Mention.objects.filter(pk__in=ids).update(queued_at=now)
        intake.enqueue(ids)
    return len(ids)
