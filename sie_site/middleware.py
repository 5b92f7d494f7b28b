"""Request-id middleware: accept a well-formed X-Request-ID, otherwise mint one; echo it.
Request metrics middleware: time every request once, by its route template, for both the
Prometheus metrics and the SLO engine's request telemetry."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from sie_site.metrics import HTTP_DURATION, HTTP_REQUESTS
from slo import telemetry

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
# Every URL that matched no route shares one label, so scanners cannot explode the series.
UNMATCHED_ROUTE = telemetry.UNMATCHED
# Methods outside this set (any token is legal HTTP) are counted as one label too.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def request_id_from(value: str | None) -> str:
    if value and _WELL_FORMED.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


def route_label(request: HttpRequest) -> str:
    """The matched route template (`api/v1/slos/<int:pk>/status`), never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED_ROUTE
    return match.route or "/"


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        path = route_label(request)
        method = request.method if request.method in KNOWN_METHODS else "OTHER"
        HTTP_DURATION.labels(method=method, path=path).observe(elapsed)
        HTTP_REQUESTS.labels(method=method, path=path, status=response.status_code).inc()
        telemetry.BUFFER.record(timezone.now(), path, method, response.status_code, elapsed)
        return response
