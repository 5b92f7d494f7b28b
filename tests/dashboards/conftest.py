from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from ingestion.timegrain import floor_minute
from slo.models import SLO, Service, Snapshot


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(db):
    user = get_user_model().objects.create_user("sre", password="pw-sre-12345", is_staff=True)
    # The status API the pages are compared with checks Django model permissions.
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="slo"))
    return user


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def make_slo(db) -> Callable[..., SLO]:
    def make(name: str = "checkout-availability", service: str = "checkout", **fields) -> SLO:
        svc, _ = Service.objects.get_or_create(name=service)
        values = {"sli": "ratio", "objective": Decimal("99.9"), "window": "30d",
                  "budgeting": "occurrences", "source": "push"}  # fmt: skip
        values.update(fields)
        return SLO.objects.create(service=svc, name=name, **values)

    return make


def now_minute() -> datetime:
    return floor_minute(timezone.now())


def snapshot(slo: SLO, at: datetime, remaining: float | None, status: str = "ok",
             burn: float = 0.5, alerts: list | None = None) -> Snapshot:  # fmt: skip
    """A stored evaluation with every burn window at `burn`."""
    windows = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]
    return Snapshot.objects.create(
        slo=slo, evaluated_at=at, status=status,
        sli=None if remaining is None else 1 - (1 - remaining) * 0.001,
        good=999, total=1000, budget_total=0.001,
        budget_consumed=None if remaining is None else 1 - remaining,
        budget_remaining=remaining, burn_rates={w: burn for w in windows}, alerts=alerts or [],
    )  # fmt: skip


def history(slo: SLO, minutes: int, start_remaining: float, end_remaining: float,
            **kw) -> list[Snapshot]:  # fmt: skip
    """One snapshot a minute for the last `minutes` minutes, budget falling linearly."""
    end = now_minute()
    step = (start_remaining - end_remaining) / max(minutes - 1, 1)
    return [
        snapshot(slo, end - timedelta(minutes=minutes - 1 - i), start_remaining - step * i, **kw)
        for i in range(minutes)
    ]


# Browser tests fail on any request to a host other than 127.0.0.1, so the live server must
# listen there (pytest-django's default is "localhost"). Read when live_server first starts.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")
