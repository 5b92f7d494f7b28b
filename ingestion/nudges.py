"""Waking an idle enrichment worker: one coalesced broker message, never one per request.

The mention rows are the queue (ingestion.leases); a message only says "look at the table".
A shared flag (SET NX in the cache) makes every request after the first skip publishing until
a worker takes the flag down just before it starts claiming, so a worker that is already
draining the table is not sent a message per request. Losing a nudge (broker outage, a crash
between commit and publish) only delays enrichment until the Beat sweep nudges again.
"""

from __future__ import annotations

import pybreaker
import structlog
from django.conf import settings
from django.core.cache import cache
from kombu.exceptions import KombuError
from kombu.exceptions import OperationalError as BrokerError

from sie_site.celery import app as celery_app

log = structlog.get_logger(__name__)

# Sent by name so the web process never imports the NLP stack (spaCy) it does not run.
ENRICH_TASK = "ingestion.enrich_pending"
FLAG = "ingestion:enrich-nudged"

# During a broker outage every publish would wait for a connect timeout; once the breaker
# opens, nudges are skipped at once and the Beat sweep wakes the workers later.
BROKER_ERRORS = (BrokerError, KombuError, OSError)
publish_breaker = pybreaker.CircuitBreaker(
    fail_max=2, reset_timeout=10, exclude=[lambda exc: not isinstance(exc, BROKER_ERRORS)]
)


def nudge() -> bool:
    """Wake a worker unless one was woken and has not yet started claiming; True if sent."""
    try:
        # The flag expires, so a nudge lost on its way still allows another after a while.
        first = cache.add(FLAG, 1, timeout=settings.SIE_ENRICH_NUDGE_SECONDS)
    except Exception as exc:  # noqa: BLE001 - a cache outage must not fail an accepted request
        log.warning("nudge flag unavailable; publishing anyway", error=str(exc))
        first = True
    return publish() if first else False


def publish() -> bool:
    """Send one enrichment message now (the sweep, replays); False if the broker is down."""
    try:
        publish_breaker.call(celery_app.send_task, ENRICH_TASK, retry=False)
    except (*BROKER_ERRORS, pybreaker.CircuitBreakerError) as exc:
        log.warning("nudge not sent; the sweep will retry", error=str(exc))
        return False
    return True


def take() -> None:
    """Called by a worker before it claims: requests from now on nudge again."""
    try:
        cache.delete(FLAG)
    except Exception as exc:  # noqa: BLE001 - the flag expires by itself
        log.warning("nudge flag unavailable", error=str(exc))
