"""Celery Beat entry point: one SLO evaluation tick a minute (schedule seeded by migration
0003 and editable in admin under Periodic tasks)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .evaluation import evaluate_all, prune


# A missed tick is covered by the next one a minute later, so retries stay short; the
# snapshot upsert makes a duplicate run of the same minute harmless.
@shared_task(
    name="slo.evaluate_slos",
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=2,
    retry_backoff=5,
    ignore_result=True,
)
def evaluate_slos_task() -> int:
    return len(evaluate_all())


@shared_task(
    name="slo.prune",
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=2,
    retry_backoff=30,
    ignore_result=True,
)
def prune_task() -> None:
    """Hourly (migration 0006): minute buckets past 3 days + 2 h, hours and days past 35
    days, snapshots past their retention — out of the every-minute tick."""
    prune()
