"""The one structured log line each HTTP request writes (django-structlog + sie_site.logs)."""

from __future__ import annotations

import pytest

REQUEST_LOGGER = "django_structlog.middlewares.request"


def request_lines(caplog) -> list[dict]:
    return [r.msg for r in caplog.records if r.name == REQUEST_LOGGER and isinstance(r.msg, dict)]


@pytest.fixture
def caplog_info(caplog):
    caplog.set_level("INFO")
    return caplog


def test_a_request_writes_exactly_one_line_with_the_spec_fields(client, db, caplog_info):
    response = client.get("/health", HTTP_X_REQUEST_ID="req-0123456789")
    [line] = request_lines(caplog_info)
    assert line["event"] == "request_finished"
    assert line["request_id"] == response["X-Request-ID"] == "req-0123456789"
    assert line["status_code"] == 200 and line["error_message"] is None
    assert line["duration_ms"] >= 0 and "user_id" in line


def test_a_malformed_request_id_is_replaced_by_the_one_echoed(client, db, caplog_info):
    response = client.get("/health", HTTP_X_REQUEST_ID="not ok; drop table")
    [line] = request_lines(caplog_info)
    assert response["X-Request-ID"] != "not ok; drop table"
    assert line["request_id"] == response["X-Request-ID"]


def test_an_error_line_carries_the_envelope_message(client, db, caplog_info):
    response = client.post("/ingest", data="{}", content_type="application/json")
    [line] = request_lines(caplog_info)
    assert line["status_code"] == response.status_code == 401
    assert line["error_message"] == response.json()["error"]["message"]


def test_unknown_urls_are_logged_once_without_djangos_own_warning(client, db, caplog_info):
    client.get("/no/such/page")
    assert [line["status_code"] for line in request_lines(caplog_info)] == [404]
    assert not [r for r in caplog_info.records if r.name == "django.request"]
