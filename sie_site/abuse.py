"""Per-address limits on failed authentication: guessed API keys and admin passwords.

A fixed window per (scope, client address) counted with an atomic cache increment, like the
tier throttle. Once an address has failed `limit` times in the window, every attempt from it
is answered 429 until the window ends, valid credentials included: otherwise a guessing
client would still learn which guess was right.
"""

from __future__ import annotations

import time

import structlog
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

log = structlog.get_logger(__name__)


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the address SIE_NUM_PROXIES trusted proxies put in X-Forwarded-For.

    Only the proxies' own entries are trusted (counted from the right): the client can write
    anything to the left of them, and must not be able to pick a fresh address per try.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.SIE_NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies == 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    return hops[-min(proxies, len(hops))] or remote


class FailureLimiter:
    """SIE_AUTH_FAILURE_LIMIT failures per SIE_AUTH_FAILURE_WINDOW seconds per client address,
    counted apart for each scope (API keys, admin logins)."""

    def __init__(self, scope: str):
        self.scope = scope

    @property
    def limit(self) -> int:
        return settings.SIE_AUTH_FAILURE_LIMIT

    @property
    def window(self) -> int:
        return settings.SIE_AUTH_FAILURE_WINDOW

    def _key(self, address: str, now: float) -> tuple[str, int]:
        start = int(now // self.window) * self.window
        return f"authfail:{self.scope}:{address}:{start}", start + self.window

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it may try now."""
        now = time.time()
        key, reset = self._key(address, now)
        try:
            failures = cache.get(key, 0)
        except (RedisError, OSError, ValueError) as exc:
            # Fail open like the tier throttle: a cache outage must not lock everyone out.
            log.warning("auth failure limit unavailable", error=str(exc))
            return None
        return max(int(reset - now), 1) if failures >= self.limit else None

    def record_failure(self, address: str) -> None:
        key, _ = self._key(address, time.time())
        try:
            cache.add(key, 0, timeout=self.window + 60)
            failures = cache.incr(key)
        except (RedisError, OSError, ValueError) as exc:
            log.warning("auth failure limit unavailable", error=str(exc))
            return
        if failures == self.limit:
            log.warning("auth failures over the limit", scope=self.scope, limit=self.limit)



API_KEYS = FailureLimiter("api-key")
ADMIN_LOGINS = FailureLimiter("admin")
