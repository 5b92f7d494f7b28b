"""Thin Celery wrappers around ingestion workflows."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.conf import settings

from sie_site.metrics import JOB_DURATION, JOB_FAILURES

from . import leases, nudges, recovery
from .enrichment import TRANSIENT_ERRORS, enrich_pending
from .retention import delete_expired


class EnrichTask(Task):
    # Only database trouble is retried here: poison mentions are isolated and dead-lettered
    # inside enrichment, and rows of a run that finally fails stay pending (their leases
    # expire), so the next nudge or sweep picks them up again. Nothing is lost.
    autoretry_for = TRANSIENT_ERRORS
    max_retries = settings.SIE_ENRICH_MAX_RETRIES
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True

    def on_retry(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        JOB_FAILURES.labels(job_type="enrich_batch", error_type=type(exc).__name__).inc()

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        JOB_FAILURES.labels(job_type="enrich_batch", error_type=type(exc).__name__).inc()


@shared_task(base=EnrichTask, name=nudges.ENRICH_TASK)
def enrich_pending_task() -> int:
    """Drain the pending mentions for up to SIE_ENRICH_RUN_SECONDS, then hand over."""
    nudges.take()
    with JOB_DURATION.labels(job_type="enrich_batch").time():
        done = enrich_pending()
    if done and leases.any_free():
        nudges.publish()  # out of time with work left: let queued tasks run, then continue
    return done


@shared_task(name="ingestion.enrich_batch")
def enrich_batch_task(*args: Any) -> int:
    # Messages published per request before the pull model may still sit in the broker
    # after an upgrade: they now just wake a worker (their ids are in the table anyway).
    return enrich_pending_task()


@shared_task(name="ingestion.sweep_pending")
def sweep_pending_task() -> int:
    with JOB_DURATION.labels(job_type="sweep_pending").time():
        return recovery.sweep_pending()


@shared_task(name="ingestion.delete_expired_mentions")
def delete_expired_mentions_task() -> int:
    """Hourly from Beat (migration 0005): mentions past SIE_MENTION_RETENTION_DAYS."""
    return delete_expired().deleted
