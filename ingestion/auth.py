"""API-key authentication and per-tier rate limits for the customer API."""

from __future__ import annotations

import time

import structlog
from django.conf import settings
from django.core.cache import cache
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from redis.exceptions import RedisError
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from sie_site import abuse
from sie_site.errors import ApiError

from . import recent
from .models import ApiKey, Customer, hash_key

log = structlog.get_logger(__name__)

API_KEY_HEADER = "X-API-Key"
WINDOW_SECONDS = 3600


class ApiKeyAuthentication(BaseAuthentication):
    """`X-API-Key: sie_<prefix>_<secret>`; request.user becomes the Customer."""

    def authenticate(self, request: Request) -> tuple[Customer, ApiKey] | None:
        raw = request.headers.get(API_KEY_HEADER)
        if not raw:
            return None
        address = abuse.client_address(request._request)
        wait = abuse.API_KEYS.retry_after(address)
        if wait is not None:
            raise ApiError(
                429, "rate_limited", "too many failed API keys from this address",
                retry_after=wait,
            )
        raw = raw.strip()
        key = recent.API_KEYS.get_or_load(hash_key(raw), lambda: ApiKey.authenticate(raw))
        if key is None:
            abuse.API_KEYS.record_failure(address)
            raise AuthenticationFailed("unknown or revoked API key")
        # The request log line reads the customer from the Django request; binding it now
        # also carries it into the headers of tasks this request publishes.
        request._request.customer = key.customer
        structlog.contextvars.bind_contextvars(user_id=key.customer_id)
        return key.customer, key

    def authenticate_header(self, request: Request) -> str:
        # Having a header makes DRF answer 401 (not 403) when the key is missing.
        return API_KEY_HEADER


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Documents the X-API-Key header in the OpenAPI schema."""

    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}


class TierRateThrottle(BaseThrottle):
    """Fixed hourly window per customer, counted with an atomic cache increment.

    DRF's SimpleRateThrottle keeps a list of timestamps per key (10,000 entries for an
    enterprise customer, rewritten on every request and racy across processes); a counter
    per window is O(1) and atomic in Redis. Bursts of up to 2x at a window edge are accepted.
    """

    def allow_request(self, request: Request, view: object) -> bool:
        customer = request.user
        if not settings.SIE_RATE_LIMIT_ENABLED or not isinstance(customer, Customer):
            return True
        now = time.time()
        window = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        key = f"ratelimit:{customer.pk}:{window}"
        try:
            cache.add(key, 0, timeout=WINDOW_SECONDS + 60)
            used = cache.incr(key)
        except (RedisError, OSError, ValueError) as exc:
            # Fail open: a cache outage must not turn away every customer; the database
            # (and the queue_full backpressure) still protect the service.
            log.warning("rate limit unavailable; allowing request", error=str(exc))
            return True
        self.limit = settings.SIE_TIER_RATE_LIMITS[customer.tier]
        self.remaining = max(self.limit - used, 0)
        self.reset = window + WINDOW_SECONDS
        self.retry_after = max(int(self.reset - now), 1)
        request._request.rate_limit = self
        return used <= self.limit

    def wait(self) -> float:
        return float(self.retry_after)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
