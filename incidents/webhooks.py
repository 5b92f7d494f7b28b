"""PagerDuty webhooks v3: verify, store (answered 2xx at once), then apply after the answer.

Signatures: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of the raw body with
PAGERDUTY_WEBHOOK_SECRET; any listed signature may match (PagerDuty sends one per secret
while a secret is being rotated), compared in constant time. Deliveries are at least once:
the webhook id is unique, and processing claims the stored delivery once.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Actor, Incident, WebhookDelivery

STATUS_CHANGES = {"incident.acknowledged": "acknowledge", "incident.resolved": "resolve"}
TIMELINE_ONLY = {
    "incident.reassigned",
    "incident.escalated",
    "incident.annotated",
    "incident.priority_updated",
    "incident.unacknowledged",
    "incident.delegated",
    "incident.reopened",
    "incident.responder.added",
    "incident.status_update_published",
}


def signature_ok(body: bytes, header: str, secrets: list[str]) -> bool:
    """True when any `v1=` signature in the header is HMAC-SHA256(body) under any secret."""
    offered = [part.strip()[3:] for part in header.split(",") if part.strip().startswith("v1=")]
    expected = [hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets if s]
    return any(hmac.compare_digest(o, e) for o in offered for e in expected)


def store(webhook_id: str, payload: dict[str, Any]) -> WebhookDelivery | None:
    """Keep a verified delivery; None when this webhook id was already stored."""
    event_type = str((payload.get("event") or {}).get("event_type", ""))[:64]
    try:
        with transaction.atomic():
            return WebhookDelivery.objects.create(
                webhook_id=webhook_id, event_type=event_type, payload=payload
            )
    except IntegrityError:
        return None


def process(delivery_id: int) -> str:
    """Apply one stored delivery exactly once; returns what it did."""
    with transaction.atomic():
        claimed = WebhookDelivery.objects.filter(pk=delivery_id, processed_at=None).update(
            processed_at=timezone.now()
        )
        if not claimed:
            return "already processed"
        delivery = WebhookDelivery.objects.get(pk=delivery_id)
        outcome = apply(delivery.payload.get("event") or {})
        WebhookDelivery.objects.filter(pk=delivery_id).update(outcome=outcome[:200])
    return outcome


def process_pending() -> int:
    """Deliveries whose processing message was lost (broker down): the tick catches up."""
    pending = WebhookDelivery.objects.filter(processed_at=None).order_by("received_at")
    return sum(process(pk) != "already processed" for pk in pending.values_list("pk", flat=True))


def apply(event: dict[str, Any]) -> str:
    event_type = str(event.get("event_type", ""))
    incident = _incident_for(event.get("data") or {})
    if incident is None:
        return f"{event_type}: no matching incident"
    agent = str((event.get("agent") or {}).get("summary") or "PagerDuty")
    if event_type in STATUS_CHANGES:
        method = getattr(incident, STATUS_CHANGES[event_type])
        changed = method(agent, Actor.PAGERDUTY)
        return f"{event_type}: incident {incident.pk} {'changed' if changed else 'unchanged'}"
    if event_type in TIMELINE_ONLY:
        kind = event_type.removeprefix("incident.").replace(".", "_")
        incident.record(kind, agent, Actor.PAGERDUTY, _message(event), event_id=event.get("id"))
        return f"{event_type}: recorded on incident {incident.pk}"
    return f"{event_type}: ignored"


def _incident_for(data: dict[str, Any]) -> Incident | None:
    """Ours by dedup key (`incident_key`); annotations carry only PagerDuty's incident id."""
    key, pd_id = data.get("incident_key"), data.get("id")
    if data.get("type") != "incident":
        pd_id = (data.get("incident") or {}).get("id")
    incidents = Incident.objects.order_by("resolved_at", "-triggered_at")  # open ones first
    found = incidents.filter(dedup_key=key).first() if key else None
    found = found or (incidents.filter(pagerduty_incident_id=pd_id).first() if pd_id else None)
    if found is not None and pd_id and not found.pagerduty_incident_id:
        found.pagerduty_incident_id = str(pd_id)[:32]
        found.save(update_fields=["pagerduty_incident_id"])
    return found


def _message(event: dict[str, Any]) -> str:
    data = event.get("data") or {}
    if "content" in data:  # incident.annotated
        return str(data["content"])
    assignees = [a.get("summary", "") for a in data.get("assignees") or []]
    return f"assigned to {', '.join(assignees)}" if assignees else str(event.get("event_type"))
