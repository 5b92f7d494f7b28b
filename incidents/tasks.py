"""Celery entry points of the alerting queue: thin wrappers taking ids."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from slo.evaluation import evaluate_all

from . import alerting, outbox, webhooks
from .models import DELIVER_TASK

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "max_retries": 2,
    "retry_backoff": 5,
    "ignore_result": True,
}


@shared_task(name=DELIVER_TASK, queue="alerting", **RETRY)
def deliver_outbox_task(event_id: int | None = None) -> int:
    """One row right after its commit, or (no id) every due row."""
    if event_id is None:
        return outbox.deliver_due()
    return int(outbox.deliver_one(event_id) == "sent")


# The Beat tick: SLO snapshots first, then the alert rules that read them, then a sweep of
# the outbox (rows whose wake-up message was lost, or whose back-off ended).
@shared_task(name="incidents.tick", queue="alerting", **RETRY)
def tick_task() -> int:
    at = alerting.tick_time()
    snapshots = evaluate_all(at)
    changed = alerting.evaluate(at, snapshots)
    webhooks.process_pending()
    deliver_outbox_task.delay()
    return changed


@shared_task(name="incidents.process_webhook", queue="alerting", **RETRY)
def process_webhook_task(delivery_id: int) -> str:
    return webhooks.process(delivery_id)
