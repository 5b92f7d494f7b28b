"""Optional remote AI enricher behind a circuit breaker; local NLP is always the fallback.

Model tiers (SIE plan): texts of at least SIE_AI_COMPLEX_MIN_CHARS characters go to the slower
SIE_AI_MODEL_COMPLEX, the others to the fast default SIE_AI_MODEL_FAST, one request per tier
present in a batch. The third tier is no AI at all: `remote_enrich` returns None whenever the
enricher is disabled (SIE_AI_URL empty) or unavailable, and the caller keeps the local NLP result
(marking the mention degraded when SIE_AI_URL is set). It never raises for remote trouble.

Protocol spoken to SIE_AI_URL:

    POST {SIE_AI_URL}/v1/analyze
    {"model": "sie-fast", "texts": ["…", "…"]}

    200 {"results": [{"sentiment": 0.8, "topics": ["battery"], "summary": "…"}, …]}

One result per text, in order; `sentiment` is a number in [-1, 1], `topics` a list of strings,
`summary` a string. Anything else (other statuses, bad JSON, a wrong count) is a failure. A 429
is a failure too, and its Retry-After (seconds or an HTTP date) is honoured: no request is sent
before it passes, by any process sharing the cache. Each request has SIE_AI_TIMEOUT seconds to
connect and the same between bytes read.

Failures feed a pybreaker circuit breaker (SIE_CB_FAILURE_THRESHOLD consecutive failures open it
for SIE_CB_RECOVERY_TIMEOUT seconds); with REDIS_URL its state lives in Redis so every worker
process stops calling at once. Every request, sent or refused, is counted in
sie_ai_requests_total{model, status=ok|rate_limited|error|timeout|circuit_open}.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import time
from collections.abc import Sequence
from email.utils import parsedate_to_datetime

import redis
import requests
from django.conf import settings
from django.core.cache import cache
from pybreaker import (
    STATE_CLOSED,
    CircuitBreaker,
    CircuitBreakerError,
    CircuitBreakerStorage,
    CircuitMemoryStorage,
    CircuitRedisStorage,
)
from redis.backoff import NoBackoff
from redis.retry import Retry

from sie_site.metrics import AI_REQUESTS

log = logging.getLogger(__name__)

ANALYZE_PATH = "/v1/analyze"
MAX_TOPICS = 10
MAX_TOPIC_CHARS = 64
MAX_SUMMARY_CHARS = 500
# A Retry-After beyond this is treated as a broken header rather than obeyed for days.
MAX_RETRY_AFTER = 3600.0
# Redis is on the same network as the workers; a slow one must not stall enrichment.
REDIS_TIMEOUT = 1.0


class RemoteAIError(Exception):
    """A failed request; `status` is its sie_ai_requests_total label."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status


def remote_enrich(texts: Sequence[str]) -> list[dict] | None:
    """One {"model", "sentiment", "topics", "summary"} dict per text, or None when the enricher
    is disabled or any tier failed (all or nothing, so a batch is enriched uniformly)."""
    url = settings.SIE_AI_URL
    if not url:
        return None
    results: list[dict] = [{} for _ in texts]
    for model, indices in _tiers(texts).items():
        answers = _request(url, model, [texts[i] for i in indices])
        if answers is None:
            return None
        for i, answer in zip(indices, answers, strict=True):
            results[i] = answer
    return results


def _tiers(texts: Sequence[str]) -> dict[str, list[int]]:
    tiers: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        long = len(text) >= settings.SIE_AI_COMPLEX_MIN_CHARS
        model = settings.SIE_AI_MODEL_COMPLEX if long else settings.SIE_AI_MODEL_FAST
        tiers.setdefault(model, []).append(i)
    return tiers


def _request(url: str, model: str, texts: list[str]) -> list[dict] | None:
    if _backing_off(url):
        _count(model, "rate_limited")
        return None
    try:
        answers = breaker().call(_post, url, model, texts)
    except CircuitBreakerError:
        _count(model, "circuit_open")
        return None
    except RemoteAIError as exc:
        log.warning(
            "remote AI request failed: %s", exc, extra={"model": model, "status": exc.status}
        )
        _count(model, exc.status)
        return None
    _count(model, "ok")
    return answers


def _count(model: str, status: str) -> None:
    AI_REQUESTS.labels(model=model, status=status).inc()


def _post(url: str, model: str, texts: list[str]) -> list[dict]:
    timeout = settings.SIE_AI_TIMEOUT
    try:
        response = _session(os.getpid()).post(
            url + ANALYZE_PATH, json={"model": model, "texts": texts}, timeout=(timeout, timeout)
        )
    except requests.Timeout as exc:
        raise RemoteAIError("timeout", str(exc)) from exc
    except requests.RequestException as exc:
        raise RemoteAIError("error", str(exc)) from exc
    if response.status_code == 429:
        _back_off(url, response.headers.get("Retry-After"))
        raise RemoteAIError("rate_limited", "HTTP 429")
    if response.status_code != 200:
        raise RemoteAIError("error", f"HTTP {response.status_code}")
    try:
        return _parse(response.json(), model, len(texts))
    except (ValueError, TypeError, KeyError) as exc:  # JSONDecodeError is a ValueError
        raise RemoteAIError("error", f"malformed answer: {exc}") from exc


def _parse(payload: dict, model: str, expected: int) -> list[dict]:
    results = payload["results"]
    if not isinstance(results, list) or len(results) != expected:
        raise ValueError(f"expected {expected} results")
    return [_parse_one(result, model) for result in results]


def _parse_one(result: dict, model: str) -> dict:
    sentiment, topics, summary = result["sentiment"], result["topics"], result["summary"]
    if isinstance(sentiment, bool) or not isinstance(sentiment, int | float):
        raise TypeError("sentiment is not a number")
    if not -1.0 <= sentiment <= 1.0:
        raise ValueError("sentiment outside [-1, 1]")
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise TypeError("topics is not a list of strings")
    if not isinstance(summary, str):
        raise TypeError("summary is not a string")
    # Capped so a chatty model cannot bloat every mention row.
    return {
        "model": model,
        "sentiment": float(sentiment),
        "topics": [t[:MAX_TOPIC_CHARS] for t in topics[:MAX_TOPICS]],
        "summary": summary[:MAX_SUMMARY_CHARS],
    }


@functools.lru_cache(maxsize=1)
def _session(pid: int) -> requests.Session:
    # Keyed by pid: a Celery prefork child must not reuse the sockets of the parent's pool.
    return requests.Session()


# --- Retry-After, shared through the Django cache (Redis in production, files locally) ----


def _retry_key(url: str) -> str:
    return f"ai:retry-after:{url}"


def _backing_off(url: str) -> bool:
    until = cache.get(_retry_key(url))
    return until is not None and until > time.time()


def _back_off(url: str, header: str | None) -> None:
    seconds = retry_after_seconds(header)
    if seconds > 0:
        cache.set(_retry_key(url), time.time() + seconds, timeout=math.ceil(seconds))


def retry_after_seconds(header: str | None) -> float:
    """Seconds a Retry-After header asks for (delta-seconds or HTTP date); 0 when absent/bad."""
    if not header:
        return 0.0
    try:
        seconds = float(header)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(header).timestamp() - time.time()
        except (TypeError, ValueError):
            return 0.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


# --- circuit breaker -------------------------------------------------------------------------


def breaker() -> CircuitBreaker:
    """The breaker for the configured endpoint, read from settings at call time."""
    key = (settings.SIE_AI_URL, settings.SIE_CB_FAILURE_THRESHOLD, settings.SIE_CB_RECOVERY_TIMEOUT)
    try:
        return _shared_breaker(*key, settings.REDIS_URL)
    except redis.RedisError as exc:
        # Redis unreachable while building the storage: fall back to this process's own
        # breaker; the shared one is tried again on the next call. (No traceback: this repeats
        # for every batch while Redis is down.)
        log.warning("circuit breaker state not shared, Redis unavailable: %s", exc)
        return _shared_breaker(*key, "")


@functools.lru_cache(maxsize=8)
def _shared_breaker(url: str, fail_max: int, reset_timeout: int, redis_url: str) -> CircuitBreaker:
    # Note: pybreaker holds a per-breaker lock during the call, so threads of one process take
    # turns; Celery's prefork workers are single-threaded, so nothing waits in practice.
    return CircuitBreaker(
        fail_max=fail_max,
        reset_timeout=reset_timeout,
        state_storage=breaker_storage(url, redis_url),
        name=f"ai {url}",
        # Re-raise the real failure on the tripping call so it is counted by its cause.
        throw_new_error_on_trip=False,
    )


def breaker_storage(url: str, redis_url: str) -> CircuitBreakerStorage:
    """Redis-backed state (one namespace per endpoint) when Redis is configured, else memory."""
    if not redis_url:
        return CircuitMemoryStorage(STATE_CLOSED)
    # pybreaker decodes the bytes itself: a client with decode_responses=True breaks it. No
    # retries: redis-py's default backoff would stall every batch for seconds while Redis is
    # down, and pybreaker already treats a failed read as "closed".
    client = redis.Redis.from_url(
        redis_url,
        socket_timeout=REDIS_TIMEOUT,
        socket_connect_timeout=REDIS_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )
    return CircuitRedisStorage(STATE_CLOSED, client, namespace=f"sie:ai-breaker:{url}")
