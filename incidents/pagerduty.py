"""The only module that talks to PagerDuty: Events API v2 bodies and one bounded send.

The `pagerduty` client retries 429 forever and 5xx several times with blocking sleeps; a
Celery worker stuck in those sleeps holds every page behind it. Here each send makes exactly
one HTTP request and the outbox owns back-off, pacing and the circuit breaker.
"""

from __future__ import annotations

import json
import ssl
from functools import lru_cache
from typing import Any

import pagerduty
import pybreaker
from django.conf import settings

from .models import PAGERDUTY_SEVERITY, Incident, OutboxEvent

# 4xx answers that a retry can fix; every other 4xx (400 above all) is permanent.
RETRYABLE_4XX = {408, 429}


class DeliveryError(Exception):
    """A failed send; `permanent` failures are never retried."""

    def __init__(
        self, message: str, *, status: int | None = None, body: str = "", permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.status, self.body, self.permanent = status, body, permanent


def _is_permanent(error: BaseException) -> bool:
    return isinstance(error, DeliveryError) and error.permanent


# Process-local: a worker that sees PagerDuty failing stops calling it for reset_timeout
# seconds; a rejected event (400) says nothing about PagerDuty's health, so it never trips it.
BREAKER = pybreaker.CircuitBreaker(
    fail_max=settings.PAGERDUTY_CB_FAILURE_THRESHOLD,
    reset_timeout=settings.PAGERDUTY_CB_RECOVERY_TIMEOUT,
    exclude=[_is_permanent],
    name="pagerduty",
    throw_new_error_on_trip=False,  # the failing call reports its own error
)


def trigger_body(incident: Incident, details: dict[str, Any]) -> dict[str, Any]:
    """The v2 trigger (without routing_key, which the client adds) for an incident."""
    links = []
    if incident.runbook_url:
        links.append({"href": _absolute(incident.runbook_url), "text": "Runbook"})
    if incident.slo_id:
        links.append(
            {"href": _absolute(f"/dashboards/slo/{incident.slo_id}/"), "text": "SLO dashboard"}
        )
    return {
        "payload": {
            "summary": incident.title[:1024],
            "source": details.get("source") or "sie-control-plane",
            "severity": PAGERDUTY_SEVERITY[incident.severity],
            "timestamp": incident.triggered_at.isoformat(),
            "component": incident.service.name if incident.service else "",
            "group": details.get("group", ""),
            "class": details.get("class", ""),
            "custom_details": details,
        },
        "links": links,
        "client": "SIE control plane",
        "client_url": _absolute(f"/admin/incidents/incident/{incident.pk}/change/"),
    }


def _absolute(path: str) -> str:
    return path if "://" in path else settings.SITE_URL + path


@lru_cache(maxsize=4)
def _tls(ca_bundle: str) -> ssl.SSLContext | bool:
    return ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True


def send(event: OutboxEvent) -> str:
    """POST one outbox row to /v2/enqueue; returns the answer body or raises DeliveryError."""
    client = pagerduty.EventsApiV2Client(
        event.routing_key,
        base_url=settings.PAGERDUTY_EVENTS_URL,
        verify=_tls(settings.PAGERDUTY_CA_BUNDLE),
    )
    client.timeout = settings.PAGERDUTY_TIMEOUT_SECONDS
    client.max_network_attempts = 0  # a connection error raises at once
    # A status listed in `retry` with max_http_attempts < 0 is returned on the first answer
    # (the client's own loop then never sleeps); 429 is otherwise retried forever.
    client.retry = {status: 1 for status in (429, 500, 502, 503, 504)}
    client.max_http_attempts = -1
    with client:
        return _send_with(client, event)


def _send_with(client: pagerduty.EventsApiV2Client, event: OutboxEvent) -> str:
    try:
        key = client.send_event(event.action, dedup_key=event.dedup_key, **event.payload)
    except pagerduty.HttpError as error:
        status, body = error.response.status_code, error.response.text[:4000]
        permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
        raise DeliveryError(
            f"HTTP {status}", status=status, body=body, permanent=permanent
        ) from error
    except pagerduty.Error as error:
        raise DeliveryError(f"{type(error).__name__}: {error}"[:1000]) from error
    return json.dumps({"status": "success", "dedup_key": key})
