"""Thin Celery wrappers around ingestion workflows."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from sie_site.metrics import JOB_DURATION, JOB_FAILURES

from . import intake, recovery
from .enrichment import enrich_batch

TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class EnrichTask(Task):
    # Only database trouble is worth retrying; anything else is a bug or poison input and
    # goes straight to the dead-letter queue, as does a job that exhausted its retries.
    autoretry_for = TRANSIENT_ERRORS
    max_retries = settings.SIE_ENRICH_MAX_RETRIES
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True

    def on_retry(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        JOB_FAILURES.labels(job_type="enrich_batch", error_type=type(exc).__name__).inc()

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        JOB_FAILURES.labels(job_type="enrich_batch", error_type=type(exc).__name__).inc()
        recovery.dead_letter(self.name, args[0], exc, attempts=self.request.retries + 1)


@shared_task(base=EnrichTask, bind=True, name=intake.ENRICH_TASK)
def enrich_batch_task(self: EnrichTask, mention_ids: list[int]) -> int:
    with JOB_DURATION.labels(job_type="enrich_batch").time():
        return enrich_batch(mention_ids)


@shared_task(name="ingestion.sweep_pending")
def sweep_pending_task() -> int:
    with JOB_DURATION.labels(job_type="sweep_pending").time():
        return recovery.sweep_pending()
