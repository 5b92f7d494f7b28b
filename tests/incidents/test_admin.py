"""Admin actions: acknowledge, resolve, silence a service for N hours, retry a dead event."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from incidents.models import IncidentStatus, OutboxEvent, OutboxStatus, Silence

pytestmark = pytest.mark.django_db
URL = "/admin/incidents/incident/"


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("root", "r@example.com", "x"))
    return client


def act(client, url, action, ids):
    return client.post(url, {"action": action, "_selected_action": ids})


def test_acknowledge_resolve_and_silence_from_the_incident_list(admin_client, fire):
    incident = fire("am-1")
    assert admin_client.get(URL).status_code == 200
    assert admin_client.get(f"{URL}{incident.pk}/change/").status_code == 200
    act(admin_client, URL, "acknowledge", [incident.pk])
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    act(admin_client, URL, "silence_4h", [incident.pk])
    silence = Silence.objects.get()
    assert silence.service == incident.service and silence.created_by == "root"
    act(admin_client, URL, "resolve", [incident.pk])
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert [e.source for e in incident.events.filter(kind__in=["acknowledged", "resolved"])] == [
        "admin",
        "admin",
    ]


def test_a_dead_outbox_event_can_be_retried(admin_client, fire):
    fire("am-1")
    OutboxEvent.objects.update(status=OutboxStatus.DEAD, response_status=400)
    act(
        admin_client,
        "/admin/incidents/outboxevent/",
        "retry",
        list(OutboxEvent.objects.values_list("pk", flat=True)),
    )
    assert OutboxEvent.objects.get().status == OutboxStatus.PENDING
    assert admin_client.get("/admin/incidents/outboxevent/").status_code == 200
