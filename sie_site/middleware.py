"""Request-id middleware: accept a well-formed X-Request-ID, otherwise mint one; echo it.
Request metrics middleware: time every request once, by its route template, for both the
Prometheus metrics and the SLO engine's request telemetry."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from sie_site import abuse
from sie_site.errors import error_code_of, error_response
from sie_site.metrics import HTTP_DURATION, HTTP_REQUESTS, RATE_LIMITED
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
        rate_limited = is_rate_limited(response)
        if rate_limited:
            RATE_LIMITED.labels(method=method, path=path).inc()
        telemetry.BUFFER.record(
            timezone.now(), path, method, response.status_code, elapsed, rate_limited
        )
        return response


def is_rate_limited(response: HttpResponse) -> bool:
    """429 rate_limited (the client's own quota) as opposed to 429 queue_full (the SIE's)."""
    return response.status_code == 429 and error_code_of(response) == "rate_limited"


class AdminLoginThrottleMiddleware:
    """Failed admin logins per client address, limited like failed API keys (sie_site.abuse).

    Django's login view answers a failed POST by showing the form again (200) and a
    successful one with a redirect, so the status tells the outcome without a signal.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.login_path = reverse("admin:login")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or request.path != self.login_path:
            return self.get_response(request)
        address = abuse.client_address(request)
        wait = abuse.ADMIN_LOGINS.retry_after(address)
        if wait is not None:
            message = "too many failed logins from this address"
            return error_response(429, "rate_limited", message, Retry_After=str(wait))
        response = self.get_response(request)
        if response.status_code == 200:
            abuse.ADMIN_LOGINS.record_failure(address)
        return response
