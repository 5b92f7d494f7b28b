from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from slo.models import SLO
from tests.slo_data import create_slo, fill, steady

__all__ = ["AT", "fill", "steady"]  # the suite's tests import these from here

# A fixed "now" in the middle of an hour, so hour-edge arithmetic is exercised.
AT = datetime(2025, 3, 20, 12, 37, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Staff users are created per test; the production hasher costs ~0.5 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_slo(db) -> Callable[..., SLO]:
    def make(name: str = "checkout-availability", service: str = "checkout", **fields) -> SLO:
        return create_slo(name, service, **fields)

    return make
