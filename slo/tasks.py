"""Celery entry points of the SLO engine: an evaluation tick (Beat runs it through
incidents.tick) and the hourly pruning (schedules seeded by migrations, editable in admin
under Periodic tasks)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .evaluation import evaluate_all, prune

# A database blip is retried a little later; both tasks are idempotent (the snapshot upsert
# makes a duplicate run of the same minute harmless, a prune deletes what is already past).
RETRY = {"autoretry_for": (OperationalError, InterfaceError), "max_retries": 2,
         "ignore_result": True}  # fmt: skip


# A missed tick is covered by the next one a minute later, so retries stay short.
@shared_task(name="slo.evaluate_slos", retry_backoff=5, **RETRY)
def evaluate_slos_task() -> int:
    return len(evaluate_all())


@shared_task(name="slo.prune", retry_backoff=30, **RETRY)
def prune_task() -> None:
    """Hourly (migration 0006): minute buckets past 3 days + 2 h, hours and days past 35
    days, snapshots past their retention — out of the every-minute tick."""
    prune()
