"""Deliver PagerDuty outbox rows: claim due rows, send, record the outcome, back off.

* In order per dedup key: a row is due only when no older row of its key is still
  undelivered, so a resolve never overtakes its trigger.
* Two workers never send one row: a claim is a compare-and-set on `attempts` that also
  moves the row to `sending` with a lease; a worker killed mid-send leaves the lease to
  expire and the row is claimed again later.
* 429/5xx/connection errors retry with exponential backoff and full jitter; 400 is
  permanent (dead, response kept for the admin); an open circuit breaker stops sending.
* Pacing: at most PAGERDUTY_EVENTS_PER_MINUTE sent per routing key in any minute.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

import pybreaker
from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from . import pagerduty
from .models import OutboxEvent, OutboxStatus

log = logging.getLogger(__name__)

UNDELIVERED = [OutboxStatus.PENDING, OutboxStatus.SENDING]
MAX_ROUNDS = 20  # each round can free the next row of every dedup key


def due_rows(now: datetime, limit: int, **only: object) -> list[OutboxEvent]:
    """Oldest due rows that head their dedup key's queue (expired leases included)."""
    older_undelivered = OutboxEvent.objects.filter(
        dedup_key=OuterRef("dedup_key"), id__lt=OuterRef("id"), status__in=UNDELIVERED
    )
    due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, lease_until__lt=now
    )
    rows = OutboxEvent.objects.filter(due, **only).exclude(Exists(older_undelivered))
    return list(rows[:limit])


def claim(row: OutboxEvent, now: datetime) -> bool:
    """Compare-and-set: only the worker whose UPDATE matches `attempts` gets the row."""
    lease = now + timedelta(seconds=settings.PAGERDUTY_LEASE_SECONDS)
    won = OutboxEvent.objects.filter(
        pk=row.pk, attempts=row.attempts, status__in=UNDELIVERED
    ).update(status=OutboxStatus.SENDING, lease_until=lease, attempts=F("attempts") + 1)
    if won:
        row.status, row.lease_until, row.attempts = OutboxStatus.SENDING, lease, row.attempts + 1
    return bool(won)


def deliver_due(now: datetime | None = None, limit: int = 100) -> int:
    """Send every due row (several rounds, so a trigger and its resolve go in one run);
    returns how many were sent."""
    sent = 0
    for _ in range(MAX_ROUNDS):
        rows = due_rows(now or timezone.now(), limit)
        if not rows:
            break
        outcomes = [deliver(row, now) for row in rows]
        sent += outcomes.count(OutboxStatus.SENT)
        if pagerduty.BREAKER.current_state == pybreaker.STATE_OPEN or not any(outcomes):
            break
    return sent


def deliver_one(event_id: int, now: datetime | None = None) -> str | None:
    """Send one row right after its transaction committed, if it is due and heads its key."""
    rows = due_rows(now or timezone.now(), 1, pk=event_id)
    return deliver(rows[0], now) if rows else None


def deliver(row: OutboxEvent, now: datetime | None = None) -> str | None:
    """Claim and send one row; returns the new status, or None when not sent this time."""
    now = now or timezone.now()
    if _over_pace(row.routing_key, now):
        _postpone(row, now + timedelta(seconds=random.uniform(5, 15)))
        return None
    if not claim(row, now):
        return None
    try:
        answer = pagerduty.BREAKER.call(pagerduty.send, row)
    except pybreaker.CircuitBreakerError:
        return _retry_later(row, now, "circuit open", delay=_breaker_wait())
    except pagerduty.DeliveryError as error:
        return _failed(row, now, error)
    return _sent(row, now, answer)


def _over_pace(routing_key: str, now: datetime) -> bool:
    recent = OutboxEvent.objects.filter(
        routing_key=routing_key, sent_at__gt=now - timedelta(minutes=1)
    )
    return recent.count() >= settings.PAGERDUTY_EVENTS_PER_MINUTE


def _postpone(row: OutboxEvent, until: datetime) -> None:
    # Not an attempt: only moves a pending row's due time, and only if nobody claimed it.
    OutboxEvent.objects.filter(pk=row.pk, attempts=row.attempts, status=row.status).update(
        next_attempt_at=until
    )


def _sent(row: OutboxEvent, now: datetime, answer: str) -> str:
    _finish(
        row,
        status=OutboxStatus.SENT,
        sent_at=now,
        response_status=202,
        response_body=answer,
        last_error="",
    )
    log.info("pagerduty_event_sent", extra={"outbox_id": row.pk, "action": row.action})
    return OutboxStatus.SENT


def _failed(row: OutboxEvent, now: datetime, error: pagerduty.DeliveryError) -> str:
    too_old = now - row.created_at > timedelta(hours=settings.PAGERDUTY_GIVE_UP_HOURS)
    if error.permanent or too_old:
        _finish(
            row,
            status=OutboxStatus.DEAD,
            response_status=error.status,
            response_body=error.body,
            last_error=str(error),
        )
        log.error("pagerduty_event_dead", extra={"outbox_id": row.pk, "error": str(error)})
        return OutboxStatus.DEAD
    delay = backoff_seconds(row.attempts) * (4 if error.status == 429 else 1)
    return _retry_later(row, now, str(error), delay=delay, status=error.status, body=error.body)


def _retry_later(
    row: OutboxEvent,
    now: datetime,
    reason: str,
    *,
    delay: float,
    status: int | None = None,
    body: str = "",
) -> str:
    _finish(
        row,
        status=OutboxStatus.PENDING,
        next_attempt_at=now + timedelta(seconds=delay),
        lease_until=None,
        last_error=reason,
        response_status=status,
        response_body=body,
    )
    log.warning(
        "pagerduty_event_retry",
        extra={"outbox_id": row.pk, "error": reason, "retry_in_s": round(delay, 1)},
    )
    return OutboxStatus.PENDING


def _finish(row: OutboxEvent, **fields: object) -> None:
    # The single place an attempt's outcome is written; guarded by the claim so a worker
    # whose lease expired (and whose row someone else took over) cannot overwrite it.
    OutboxEvent.objects.filter(pk=row.pk, attempts=row.attempts).update(**fields)


def backoff_seconds(attempts: int) -> float:
    """Full jitter: uniform in [0, min(max, base × 2^(attempts−1))], at least 1 s."""
    ceiling = min(
        settings.PAGERDUTY_RETRY_MAX_SECONDS,
        settings.PAGERDUTY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return max(1.0, random.uniform(0, ceiling))


def _breaker_wait() -> float:
    return settings.PAGERDUTY_CB_RECOVERY_TIMEOUT * random.uniform(1.0, 1.5)
