from __future__ import annotations

import os

import pytest

requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="needs DATABASE_URL pointing at PostgreSQL (CI sets it)",
)
requires_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters and cached probes must not leak from one test into the next.
    from django.core.cache import cache

    cache.clear()
    yield
