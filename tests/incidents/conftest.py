from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from incidents import alerting, lifecycle, pagerduty
from incidents.fakepagerduty import FakePagerDuty
from incidents.models import Alert, AlertSource, AlertState, Incident
from slo.evaluation import evaluate_all
from slo.models import SLO, Service
from tests.slo_data import create_slo, fill, steady

AT = datetime(2025, 3, 20, 12, 37, tzinfo=UTC)
ROUTING_KEY = "R" * 32


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def pd_cert_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fakepd")  # one certificate for the whole session


@pytest.fixture
def fake_pd(pd_cert_dir, settings) -> Iterator[FakePagerDuty]:
    """A real TLS fake PagerDuty on 127.0.0.1 that the product trusts via PAGERDUTY_CA_BUNDLE."""
    fake = FakePagerDuty().start(pd_cert_dir)
    settings.PAGERDUTY_EVENTS_URL = fake.url
    settings.PAGERDUTY_CA_BUNDLE = fake.ca_bundle
    pagerduty.BREAKER.close()
    yield fake
    fake.stop()
    pagerduty.BREAKER.close()


@pytest.fixture
def service(db) -> Service:
    return Service.objects.create(name="checkout", routing_key=ROUTING_KEY)


@pytest.fixture
def fire(service) -> Callable[..., Incident]:
    """An Alertmanager-style (rule-less) alert starts firing at `at`."""

    def fire(key: str = "am-1", severity: str = "P1", at: datetime = AT, **fields) -> Incident:
        values = {
            "source": AlertSource.ALERTMANAGER,
            "name": key,
            "service": service,
            "severity": severity,
            "summary": f"{key} is broken",
        }
        values.update(fields)
        alert, _ = Alert.objects.update_or_create(key=key, defaults=values)
        alert.state, alert.firing_since = AlertState.FIRING, at
        alert.save()
        return lifecycle.alert_fired(alert, at)

    return fire


@pytest.fixture
def recover() -> Callable[..., bool]:
    def recover(key: str = "am-1", at: datetime = AT) -> bool:
        alert = Alert.objects.get(key=key)
        alert.state, alert.resolved_at = AlertState.RESOLVED, at
        alert.save()
        return lifecycle.alert_resolved(alert, at)

    return recover


@pytest.fixture
def make_slo(db) -> Callable[..., SLO]:
    def make(name: str = "availability", service: str = "checkout", **fields) -> SLO:
        return create_slo(name, service, {"routing_key": ROUTING_KEY}, **fields)

    return make


def push(slo: SLO, start: datetime, end: datetime, good: float, total: float) -> None:
    """Per-minute good/total for [start, end), stored as a push source would, rolled up."""
    fill(slo, steady(start, end, good, total))


def tick(at: datetime) -> int:
    """What incidents.tick does, at a chosen minute: SLO snapshots, then the alert rules."""
    return alerting.evaluate(at, evaluate_all(at))
