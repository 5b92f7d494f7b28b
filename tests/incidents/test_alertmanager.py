"""POST /integrations/alertmanager: Alertmanager v4 notifications become incidents."""

from __future__ import annotations

import json

import pytest

from incidents.models import Incident, IncidentStatus, OutboxEvent

pytestmark = pytest.mark.django_db
URL = "/integrations/alertmanager"
TOKEN = "am-token"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.ALERTMANAGER_TOKEN = TOKEN


def notification(status: str, fingerprint: str = "fp1", severity: str = "critical") -> str:
    alert = {
        "status": status,
        "fingerprint": fingerprint,
        "labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": severity},
        "annotations": {"summary": "checkout 5xx above 5 %"},
        "startsAt": "2025-03-20T12:00:00Z",
        "generatorURL": "http://prom/graph",
    }
    return json.dumps(
        {
            "version": "4",
            "status": status,
            "receiver": "sie",
            "groupKey": '{}:{alertname="HighErrorRate"}',
            "alerts": [alert],
        }
    )


def post(client, body: str, token: str = TOKEN):
    return client.post(
        URL, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_a_firing_alert_opens_a_paging_incident_once_and_its_resolve_closes_it(client, service):
    assert post(client, notification("firing")).json()["changed"] == 1
    assert post(client, notification("firing")).json()["changed"] == 0  # repeat notification
    incident = Incident.objects.get()
    assert incident.dedup_key == "am-fp1" and incident.service == service
    assert incident.severity == "P1" and incident.title == "checkout 5xx above 5 %"
    assert post(client, notification("resolved")).status_code == 200
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert list(OutboxEvent.objects.values_list("action", flat=True)) == ["trigger", "resolve"]


def test_a_warning_is_recorded_but_does_not_page(client, service):
    post(client, notification("firing", severity="warning"))
    incident = Incident.objects.get()
    assert incident.severity == "P3" and not incident.paged
    assert not OutboxEvent.objects.exists()


def test_a_wrong_token_is_401_and_a_bad_payload_400(client, service):
    assert post(client, notification("firing"), token="nope").status_code == 401
    response = post(client, json.dumps({"version": "3", "alerts": []}))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_payload"
    assert not Incident.objects.exists()
