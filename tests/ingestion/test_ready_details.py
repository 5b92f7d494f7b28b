"""/ready answers ok/error publicly; what failed, and why, goes to the log only (issue 10)."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings

from tests.processes import free_port


@pytest.mark.django_db
def test_a_failed_check_is_error_in_the_answer_and_detailed_in_the_log(client, caplog):
    dead = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    broken = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": dead}}
    with override_settings(CACHES=broken), caplog.at_level(logging.WARNING):
        response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["cache"] == "error"
    assert body["checks"]["database"] == "ok"
    assert "hunter2" not in response.content.decode()
    logged = [r.getMessage() for r in caplog.records if "readiness check failed" in r.getMessage()]
    assert logged and "'check': 'cache'" in logged[0] and "Error" in logged[0]
