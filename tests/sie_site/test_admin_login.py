"""Failed admin logins are throttled per client address (issue 10)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(
        "ops", password="correct horse battery", is_staff=True
    )


def login(password: str, address: str = "203.0.113.8"):
    client = Client(REMOTE_ADDR=address)
    return client.post("/admin/login/", {"username": "ops", "password": password})


def test_failed_admin_logins_from_one_address_get_429_with_retry_after(staff, settings):
    settings.SIE_AUTH_FAILURE_LIMIT = 5
    statuses = [login(f"guess-{n}").status_code for n in range(7)]
    assert statuses == [200] * 5 + [429, 429]
    blocked = login("correct horse battery")
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(blocked["Retry-After"]) <= settings.SIE_AUTH_FAILURE_WINDOW


def test_a_correct_password_from_another_address_still_logs_in(staff, settings):
    settings.SIE_AUTH_FAILURE_LIMIT = 2
    for n in range(3):
        login(f"guess-{n}")
    assert login("correct horse battery", address="198.51.100.3").status_code == 302


def test_successful_logins_are_not_counted(staff, settings):
    settings.SIE_AUTH_FAILURE_LIMIT = 2
    assert [login("correct horse battery").status_code for _ in range(4)] == [302] * 4
