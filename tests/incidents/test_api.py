"""SRE API: /api/v1/incidents (filters, acknowledge, resolve, timeline), /api/v1/silences."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User

from incidents.models import OutboxEvent, Silence

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = User.objects.create_user("sre", password="x", is_staff=True)
    # The SRE API checks Django model permissions, not only is_staff.
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="incidents"))
    client.force_login(user)
    return client


def test_incidents_are_listed_with_filters(staff, fire):
    fire("am-1", severity="P1")
    fire("am-2", severity="P3")
    body = staff.get("/api/v1/incidents?severity=P3").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["dedup_key"] for r in rows] == ["am-2"]
    rows = staff.get("/api/v1/incidents?status=triggered&service=checkout").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert len(rows) == 2
    response = staff.get("/api/v1/incidents?status=bogus")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_payload"


def test_acknowledge_and_resolve_through_the_api_reach_the_outbox_and_timeline(staff, fire):
    incident = fire("am-1")
    url = f"/api/v1/incidents/{incident.pk}"
    assert staff.post(f"{url}/acknowledge").json()["status"] == "acknowledged"
    assert staff.post(f"{url}/acknowledge").status_code == 409
    assert staff.post(f"{url}/resolve").json()["status"] == "resolved"
    timeline = staff.get(f"{url}/timeline").json()
    assert [(e["kind"], e["source"]) for e in timeline][-2:] == [
        ("acknowledged", "api"),
        ("resolved", "api"),
    ]
    assert timeline[-1]["actor"] == "sre"
    actions = list(OutboxEvent.objects.values_list("action", flat=True))
    assert actions == ["trigger", "acknowledge", "resolve"]


def test_a_service_is_silenced_for_n_hours(staff, service):
    response = staff.post(
        "/api/v1/silences",
        {"service": "checkout", "hours": 2, "comment": "deploy"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    silence = Silence.objects.get()
    assert silence.service == service and silence.created_by == "sre"
    assert silence.ends_at - silence.starts_at == timedelta(hours=2)
    assert (
        staff.post(
            "/api/v1/silences", {"service": "checkout"}, content_type="application/json"
        ).status_code
        == 400
    )
    assert staff.delete(f"/api/v1/silences/{silence.pk}").status_code == 204


def test_the_api_is_for_staff_only(client, fire):
    fire("am-1")
    assert client.get("/api/v1/incidents").status_code in (401, 403)
    User.objects.create_user("customer", password="x")
    client.login(username="customer", password="x")
    assert client.get("/api/v1/incidents").status_code == 403
