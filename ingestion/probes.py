"""Liveness and readiness probes: /health never touches a dependency, /ready checks each."""

from __future__ import annotations

import uuid

import structlog
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from sie_site.celery import app as celery_app

log = structlog.get_logger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    key = f"ready:{uuid.uuid4().hex}"
    cache.set(key, 1, timeout=5)
    if cache.get(key) != 1:
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def _check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


CHECKS = {"database": _check_database, "broker": _check_broker, "cache": _check_cache}


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # a probe reports every failure; it never raises
            # The answer is public: exception texts carry host names, ports, even
            # credentials from a connection URL, so they go to the log only.
            log.warning("readiness check failed", check=name, error=f"{type(exc).__name__}: {exc}")
            results[name] = "error"
    healthy = all(v == "ok" for v in results.values())
    body = {"status": "ok" if healthy else "unavailable", "checks": results}
    return JsonResponse(body, status=200 if healthy else 503)
