"""POST /integrations/pagerduty/webhook: signed v3 webhooks update incidents, once."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from incidents import webhooks
from incidents.models import IncidentStatus, OutboxEvent, WebhookDelivery

pytestmark = pytest.mark.django_db
URL = "/integrations/pagerduty/webhook"
SECRET = "whsec-current"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.PAGERDUTY_WEBHOOK_SECRET = SECRET


def sign(body: bytes, secret: str = SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def v3(event_type: str, dedup_key: str = "am-1", event_id: str = "01EV1", **data) -> bytes:
    incident = {"id": "PINC1", "type": "incident", "incident_key": dedup_key, **data}
    event = {
        "id": event_id,
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": "2025-03-20T12:40:00Z",
        "agent": {"summary": "Jane Oncall"},
        "data": incident,
    }
    return json.dumps({"event": event}).encode()


def post(client, body: bytes, signature: str | None, webhook_id: str = "wh-1"):
    headers = {"HTTP_X_WEBHOOK_ID": webhook_id}
    if signature is not None:
        headers["HTTP_X_PAGERDUTY_SIGNATURE"] = signature
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_an_acknowledge_from_pagerduty_acknowledges_the_incident_here(client, fire):
    incident = fire("am-1")
    body = v3("incident.acknowledged")
    response = post(client, body, sign(body))
    assert response.status_code == 202
    assert webhooks.process_pending() == 1  # what runs after the answer
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    assert incident.pagerduty_incident_id == "PINC1"
    event = incident.events.get(kind="acknowledged")
    assert (event.actor, event.source) == ("Jane Oncall", "pagerduty")
    # PagerDuty told us: nothing is echoed back to it
    assert list(OutboxEvent.objects.values_list("action", flat=True)) == ["trigger"]


def test_a_forged_or_missing_signature_is_401_and_changes_nothing(client, fire):
    incident = fire("am-1")
    body = v3("incident.resolved")
    assert post(client, body, sign(body, "wrong-secret")).status_code == 401
    assert post(client, body, None).status_code == 401
    assert post(client, body, sign(body + b" ")).status_code == 401
    response = post(client, body, "v1=" + "0" * 64)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert not WebhookDelivery.objects.exists()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIGGERED


def test_any_of_several_signatures_is_accepted_while_a_secret_rotates(client, fire, settings):
    settings.PAGERDUTY_WEBHOOK_SECRET = "whsec-old,whsec-new"
    incident = fire("am-1")
    body = v3("incident.resolved")
    header = f"{sign(body, 'unknown')},{sign(body, 'whsec-new')}"
    assert post(client, body, header).status_code == 202
    webhooks.process_pending()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_a_redelivered_webhook_is_applied_once(client, fire):
    incident = fire("am-1")
    body = v3("incident.annotated", data=None)
    body = json.dumps(
        {
            "event": {
                "id": "01EV2",
                "event_type": "incident.annotated",
                "agent": {"summary": "Jane"},
                "data": {"incident": {"id": "PINC1"}, "content": "db failover"},
            }
        }
    ).encode()
    incident.pagerduty_incident_id = "PINC1"
    incident.save(update_fields=["pagerduty_incident_id"])
    assert post(client, body, sign(body), "wh-9").status_code == 202
    assert post(client, body, sign(body), "wh-9").status_code == 200
    webhooks.process_pending()
    webhooks.process_pending()
    notes = incident.events.filter(kind="annotated")
    assert [n.message for n in notes] == ["db failover"]


def test_reassignment_and_escalation_become_timeline_entries(client, fire):
    incident = fire("am-1")
    for n, kind in enumerate(["incident.reassigned", "incident.escalated"]):
        body = v3(kind, event_id=f"E{n}", assignees=[{"summary": "Bob"}])
        assert post(client, body, sign(body), f"wh-{n}").status_code == 202
    webhooks.process_pending()
    kinds = list(incident.events.values_list("kind", "message"))
    assert ("reassigned", "assigned to Bob") in kinds and ("escalated", "assigned to Bob") in kinds
