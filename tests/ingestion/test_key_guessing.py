"""Unknown or revoked API keys are throttled per client address (issue 10)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from ingestion.models import ApiKey


def guess(n: int, address: str = "203.0.113.7", **extra: str):
    client = APIClient(REMOTE_ADDR=address, **extra)
    client.credentials(HTTP_X_API_KEY=f"sie_deadbeef_guess{n}")
    return client.get("/insights", {"project": "acme-main"})


def test_guessing_keys_from_one_address_gets_429_long_before_a_few_hundred_tries(db):
    statuses = [guess(n).status_code for n in range(25)]
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}
    blocked = guess(99)
    assert blocked.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(blocked["Retry-After"]) <= 600


def test_a_blocked_address_is_refused_even_with_a_valid_key(tenant, settings):
    settings.SIE_AUTH_FAILURE_LIMIT = 3
    for n in range(3):
        guess(n, address="198.51.100.1")
    client = APIClient(REMOTE_ADDR="198.51.100.1")
    client.credentials(HTTP_X_API_KEY=tenant.key)
    assert client.get("/insights", {"project": tenant.project.slug}).status_code == 429
    # Another address with the same key is unaffected.
    assert tenant.client().get("/insights", {"project": tenant.project.slug}).status_code == 200


def test_a_revoked_key_counts_as_a_failure(tenant, settings):
    settings.SIE_AUTH_FAILURE_LIMIT = 2
    ApiKey.objects.filter(customer=tenant.customer).update(revoked_at="2026-01-01T00:00:00Z")
    client = APIClient(REMOTE_ADDR="192.0.2.9")
    client.credentials(HTTP_X_API_KEY=tenant.key)
    statuses = [client.post("/ingest", {}, format="json").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


def test_a_forged_x_forwarded_for_does_not_buy_a_fresh_address(db, settings):
    settings.SIE_AUTH_FAILURE_LIMIT = 3
    statuses = [
        guess(n, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]


@pytest.mark.parametrize("proxies", [1])
def test_behind_a_trusted_proxy_the_forwarded_client_address_is_limited(db, settings, proxies):
    settings.SIE_AUTH_FAILURE_LIMIT = 2
    settings.SIE_NUM_PROXIES = proxies
    # The proxy (127.0.0.1) appends the real client; what the client wrote stays on the left.
    attacker = [guess(n, "127.0.0.1", HTTP_X_FORWARDED_FOR=f"9.9.9.{n}, 203.0.113.50")
                for n in range(3)]
    assert [r.status_code for r in attacker] == [401, 401, 429]
    other = guess(7, "127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert other.status_code == 401
