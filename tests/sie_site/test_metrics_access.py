"""/metrics can be token-only: an empty allow-list admits no address, not even 127.0.0.1
(behind a proxy on the same host every client is 127.0.0.1) (issue 10)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_only(settings):
    settings.SIE_METRICS_ALLOWED_NETWORKS = []
    settings.SIE_METRICS_TOKEN = "scrape-token-0123456789"


def test_without_the_token_even_localhost_is_refused(client, token_only):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_the_token_reads_metrics_from_anywhere(client, token_only):
    response = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789"
    )
    assert response.status_code == 200
    assert b"sie_http_requests_total" in response.content


def test_a_wrong_token_is_refused(client, token_only):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 403
