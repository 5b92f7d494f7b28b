"""Integration endpoints: PagerDuty webhooks v3 and the Alertmanager receiver."""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sie_site.errors import error_response

from . import alertmanager, webhooks
from .tasks import process_webhook_task


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


@csrf_exempt
@require_POST
def pagerduty_webhook(request: HttpRequest) -> JsonResponse:
    """Verify and store, answer at once (PagerDuty wants 2xx within 5 s), apply afterwards."""
    secrets = [s.strip() for s in settings.PAGERDUTY_WEBHOOK_SECRET.split(",") if s.strip()]
    header = request.headers.get("X-PagerDuty-Signature", "")
    if not webhooks.signature_ok(request.body, header, secrets):
        return error_response(401, "unauthorized", "missing or invalid X-PagerDuty-Signature")
    payload = _json(request.body)
    event = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(event, dict):
        return error_response(400, "invalid_payload", "expected a webhooks v3 body {event: …}")
    webhook_id = request.headers.get("X-Webhook-Id") or str(event.get("id") or "")
    if not webhook_id:
        return error_response(400, "invalid_payload", "missing X-Webhook-Id")
    delivery = webhooks.store(webhook_id[:100], payload)
    if delivery is None:
        return JsonResponse({"status": "duplicate"}, status=200)
    # robust: a broker outage must not turn into an error answer; the tick catches up.
    transaction.on_commit(
        lambda: process_webhook_task.apply_async((delivery.pk,), retry=False), robust=True
    )
    return JsonResponse({"status": "accepted"}, status=202)


def _bearer_ok(request: HttpRequest) -> bool:
    token = settings.ALERTMANAGER_TOKEN
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and hmac.compare_digest(offered.encode(), token.encode())


@csrf_exempt
@require_POST
def alertmanager_receiver(request: HttpRequest) -> JsonResponse:
    if not _bearer_ok(request):
        return error_response(401, "unauthorized", "missing or invalid bearer token")
    try:
        changed = alertmanager.receive(_json(request.body), timezone.now())
    except alertmanager.PayloadError as error:
        return error_response(400, "invalid_payload", str(error))
    return JsonResponse({"status": "ok", "changed": changed})
