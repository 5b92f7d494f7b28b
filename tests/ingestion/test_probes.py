from __future__ import annotations

import pytest


def test_health_answers_without_touching_dependencies(client):
    # No django_db mark: pytest-django fails the test if the view touches the database.
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_reports_every_dependency(client):
    response = client.get("/ready")
    body = response.json()
    assert set(body["checks"]) == {"database", "broker", "cache"}
    assert response.status_code == 200, body
    assert body["status"] == "ok"


def test_request_id_is_echoed_when_well_formed_and_minted_otherwise(client):
    assert client.get("/health", HTTP_X_REQUEST_ID="abc-12345678").headers["X-Request-ID"] == (
        "abc-12345678"
    )
    minted = client.get("/health", HTTP_X_REQUEST_ID="bad id\n").headers["X-Request-ID"]
    assert len(minted) == 32 and minted != "bad id\n"


@pytest.mark.django_db
def test_an_unknown_api_object_is_404_not_found_in_the_envelope(admin_client):
    response = admin_client.get("/api/v1/runbooks/no-such-runbook")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
