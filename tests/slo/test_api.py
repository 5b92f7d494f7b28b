"""SRE API: /api/v1/services, /api/v1/slos, events push and status (SPEC §5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ingestion.models import ApiKey, Customer
from slo.models import SLO, Service, SLIHour, SLIMinute

CHECKOUT_SLO = {
    "service": "checkout",
    "name": "checkout-availability",
    "sli": "ratio",
    "objective": 99.9,
    "window": "30d",
    "budgeting": "occurrences",
    "source": "push",
    "runbook": "high-error-rate",
}


@pytest.fixture
def sre(db) -> APIClient:
    user = User.objects.create_user("sre", password="x", is_staff=True)
    # The SRE API checks model permissions, not only is_staff (issue 10).
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="slo"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def checkout(sre) -> dict:
    sre.post("/api/v1/services", {"name": "checkout", "owner": "payments"}, format="json")
    response = sre.post("/api/v1/slos", CHECKOUT_SLO, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_service_keeps_its_routing_key_secret(sre):
    body = {"name": "checkout", "owner": "payments", "routing_key": "R0UT1NG", "tags": ["tier-1"]}
    response = sre.post("/api/v1/services", body, format="json")
    assert response.status_code == 201
    assert response.json() == {
        "name": "checkout",
        "description": "",
        "owner": "payments",
        "tags": ["tier-1"],
    }
    assert Service.objects.get(name="checkout").routing_key == "R0UT1NG"
    assert "routing_key" not in sre.get("/api/v1/services/checkout").json()


def test_an_slo_is_created_as_documented_and_shown_without_fields_that_do_not_apply(checkout):
    assert checkout == {**CHECKOUT_SLO, "id": checkout["id"], "created_at": checkout["created_at"]}


def test_a_latency_slo_needs_a_histogram_bound_as_threshold(sre, checkout):
    body = {
        **CHECKOUT_SLO,
        "name": "slow",
        "sli": "latency",
        "source": "telemetry",
        "threshold_ms": 300,
    }
    response = sre.post("/api/v1/slos", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_payload"
    assert "threshold_ms" in error["fields"]


def test_a_prometheus_slo_needs_both_queries(sre, checkout):
    body = {**CHECKOUT_SLO, "name": "prom", "source": "prometheus", "good_query": "up"}
    response = sre.post("/api/v1/slos", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"total_query"}


def test_a_queue_lag_slo_defaults_to_timeslices(sre, checkout):
    body = {
        "service": "checkout",
        "name": "lag",
        "sli": "queue_lag",
        "objective": 99,
        "source": "telemetry",
        "threshold_ms": 300000,
    }
    response = sre.post("/api/v1/slos", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["budgeting"] == "timeslices"


def test_patch_changes_the_objective(sre, checkout):
    response = sre.patch(f"/api/v1/slos/{checkout['id']}", {"objective": 99.5}, format="json")
    assert response.status_code == 200
    assert float(SLO.objects.get(pk=checkout["id"]).objective) == 99.5


def test_pushed_events_feed_the_status_in_the_documented_shape(sre, checkout):
    now = timezone.now()
    events = [
        {"timestamp": (now - timedelta(minutes=3)).isoformat(), "good": 996, "total": 1000},
        {"timestamp": (now - timedelta(minutes=3)).isoformat(), "good": 1000, "total": 1000},
    ]
    response = sre.post(f"/api/v1/slos/{checkout['id']}/events", events, format="json")
    assert response.status_code == 202
    assert response.json() == {"accepted": 2, "minutes": 1}
    body = sre.get(f"/api/v1/slos/{checkout['id']}/status").json()
    assert {"sli", "objective", "window", "error_budget", "burn_rates", "alerts"} <= set(body)
    assert body["sli"] == pytest.approx(0.998)
    assert body["objective"] == pytest.approx(0.999)
    assert body["window"] == "30d"
    assert body["error_budget"]["total"] == pytest.approx(0.001)
    assert body["error_budget"]["consumed"] == pytest.approx(2.0)
    assert body["error_budget"]["remaining"] == pytest.approx(-1.0)
    assert set(body["burn_rates"]) == {"5m", "30m", "1h", "2h", "6h", "1d", "3d"}
    assert body["burn_rates"]["5m"] == pytest.approx(2.0)
    assert body["status"] == "breached"


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"good": 11, "total": 10}, "[0].good"),
        ({"good": -1, "total": 10}, "[0].good"),
        ({"good": 1, "total": 10, "timestamp": "2999-01-01T00:00:00Z"}, "[0].timestamp"),
        ({"good": 1, "total": 10, "timestamp": "2001-01-01T00:00:00Z"}, "[0].timestamp"),
        ({"good": 1}, "[0].total"),
    ],
)
def test_invalid_events_are_rejected_in_the_error_envelope(sre, checkout, event, field):
    event = {"timestamp": timezone.now().isoformat(), **event}
    response = sre.post(f"/api/v1/slos/{checkout['id']}/events", [event], format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"
    assert field in response.json()["error"]["fields"]
    assert not SLIMinute.objects.exists()


def test_events_for_a_telemetry_slo_are_refused(sre, db):
    slo = SLO.objects.get(name="ingest-availability")
    event = {"timestamp": timezone.now().isoformat(), "good": 1, "total": 1}
    response = sre.post(f"/api/v1/slos/{slo.pk}/events", [event], format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "wrong_source"


def test_customers_and_anonymous_callers_get_403(db, checkout):
    customer = Customer.objects.create(name="acme")
    _, key = ApiKey.issue(customer)
    customer_client = APIClient()
    customer_client.credentials(HTTP_X_API_KEY=key)
    assert customer_client.get("/api/v1/slos").status_code == 403
    assert APIClient().get("/api/v1/slos").status_code == 403
    User.objects.create_user("dev", password="x")
    dev = APIClient()
    dev.login(username="dev", password="x")
    assert dev.get("/api/v1/slos").status_code == 403


def test_staff_can_list_slos_by_service_with_a_session(db, checkout):
    admin = User.objects.create_user("admin", password="x", is_staff=True)
    admin.user_permissions.set(Permission.objects.filter(codename="view_slo"))
    client = APIClient()
    client.login(username="admin", password="x")
    response = client.get("/api/v1/slos?service=sie-ingestion")
    assert response.status_code == 200
    assert len(response.json()) == 5


def test_deleting_an_slo_removes_it(sre, checkout):
    assert sre.delete(f"/api/v1/slos/{checkout['id']}").status_code == 204
    assert not SLO.objects.filter(pk=checkout["id"]).exists()


def test_an_objective_below_1_is_refused_as_a_probable_fraction(checkout, sre):
    body = {**CHECKOUT_SLO, "name": "fractional", "objective": 0.999}
    response = sre.post("/api/v1/slos", body, format="json")
    assert response.status_code == 400
    assert "looks like a fraction: did you mean 99.9?" in str(response.json())
    assert not SLO.objects.filter(name="fractional").exists()


def test_an_objective_with_more_than_four_decimals_is_refused(checkout, sre):
    body = {**CHECKOUT_SLO, "name": "too-precise", "objective": 99.99999}
    response = sre.post("/api/v1/slos", body, format="json")
    assert response.status_code == 400
    assert not SLO.objects.filter(name="too-precise").exists()


def _events(slo: dict, events: list, mode: str | None = None, sre=None):
    body = events if mode is None else {"mode": mode, "events": events}
    return sre.post(f"/api/v1/slos/{slo['id']}/events", body, format="json")


def test_a_push_slo_takes_30_days_of_history_and_shows_its_exact_budget_at_once(sre, checkout):
    now = timezone.now().replace(second=0, microsecond=0)
    # One busy minute an hour for 30 days (old ones go straight into hourly buckets), and
    # 30 bad events 10 days ago.
    events = [
        {"timestamp": (now - timedelta(hours=h, minutes=1)).isoformat(), "good": 100, "total": 100}
        for h in range(30 * 24 - 1)
    ]
    events.append({"timestamp": (now - timedelta(days=10)).isoformat(), "good": 0, "total": 30})
    response = _events(checkout, events, sre=sre)
    assert response.status_code == 202, response.json()
    assert response.json()["accepted"] == len(events)
    assert SLIHour.objects.filter(hour__lt=now - timedelta(days=4)).count() > 600
    status = sre.get(f"/api/v1/slos/{checkout['id']}/status").json()
    total = 100 * (30 * 24 - 1) + 30
    assert status["error_budget"]["consumed"] == pytest.approx(30 / (total * 0.001), rel=1e-12)


def test_a_request_with_one_event_older_than_the_longest_period_stores_nothing(sre, checkout):
    now = timezone.now()
    events = [
        {"timestamp": (now - timedelta(days=5)).isoformat(), "good": 1, "total": 1},
        {"timestamp": (now - timedelta(days=40)).isoformat(), "good": 1, "total": 1},
    ]
    response = _events(checkout, events, sre=sre)
    assert response.status_code == 400
    assert "is older than 34 days" in str(response.json())
    assert not SLIHour.objects.exists() and not SLIMinute.objects.exists()


@pytest.mark.parametrize("age", [timedelta(minutes=5), timedelta(days=10)])
def test_the_same_minute_sent_twice_with_replace_counts_once_and_by_default_adds(
    sre, checkout, age
):
    at = (timezone.now() - age).replace(second=0, microsecond=0)
    event = {"timestamp": at.isoformat(), "good": 9, "total": 10}
    other = {"timestamp": (at + timedelta(minutes=1)).isoformat(), "good": 5, "total": 5}
    for _ in range(2):
        assert _events(checkout, [event, other], mode="replace", sre=sre).status_code == 202
    hour = SLIHour.objects.get(hour=at.replace(minute=0))
    expected = (14, 15) if at.minute < 59 else (9, 10)
    assert (hour.good, hour.total) == expected
    assert _events(checkout, [event], sre=sre).status_code == 202  # default: add
    hour.refresh_from_db()
    assert (hour.good, hour.total) == (expected[0] + 9, expected[1] + 10)


def test_an_unknown_mode_is_refused(sre, checkout):
    event = {"timestamp": timezone.now().isoformat(), "good": 1, "total": 1}
    response = _events(checkout, [event], mode="overwrite", sre=sre)
    assert response.status_code == 400
    assert "mode" in str(response.json())
