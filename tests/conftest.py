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

    from ingestion import recent

    cache.clear()
    recent.API_KEYS.clear()
    recent.PROJECTS.clear()
    yield


@pytest.fixture(autouse=True, scope="session")
def _no_background_telemetry_flush():
    # The telemetry middleware's flusher thread would write into the test database while
    # tests run; tests that need telemetry call slo.telemetry.BUFFER.flush() themselves.
    from django.conf import settings

    settings.SIE_TELEMETRY_FLUSH_SECONDS = 0
