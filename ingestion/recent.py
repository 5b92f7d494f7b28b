"""Per-process memory of recent lookups on the ingest hot path (API keys, projects).

Each saves a database round trip per request; entries live SIE_AUTH_CACHE_SECONDS, so a
revoked key or a moved project is seen by every process within that time. 0 turns it off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache
from django.conf import settings

V = TypeVar("V")
MAX_ENTRIES = 10_000


class RecentLookups(Generic[V]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ttl = 0
        self._cache: TTLCache[Hashable, V] = TTLCache(maxsize=1, ttl=1)

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            self._follow_settings()
            return self._cache.get(key) if self._ttl else None

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._follow_settings()
            if self._ttl:
                self._cache[key] = value

    def get_or_load(self, key: Hashable, load: Callable[[], V | None]) -> V | None:
        value = self.get(key)
        if value is None:
            value = load()
            if value is not None:
                self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def _follow_settings(self) -> None:
        ttl = settings.SIE_AUTH_CACHE_SECONDS
        if ttl != self._ttl:
            self._ttl = ttl
            self._cache = TTLCache(maxsize=MAX_ENTRIES, ttl=max(ttl, 1))


API_KEYS: RecentLookups = RecentLookups()
PROJECTS: RecentLookups = RecentLookups()
