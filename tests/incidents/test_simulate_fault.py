"""`manage.py simulate_fault errors` makes the SIE's own availability SLO burn and page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from incidents.models import Incident
from ingestion.timegrain import floor_minute

from .conftest import ROUTING_KEY, tick

pytestmark = pytest.mark.django_db


def test_simulated_errors_open_a_paged_incident_for_the_availability_slo(settings):
    settings.PAGERDUTY_DEFAULT_ROUTING_KEY = ROUTING_KEY
    call_command("simulate_fault", "errors", "--minutes", "0.005", "--per-second", "10")
    tick(floor_minute(timezone.now()) + timedelta(minutes=1))
    incident = Incident.objects.get(
        rule__name="burn rate: sie-ingestion/ingest-availability", dedup_key__endswith="/page"
    )
    assert incident.severity == "P1" and incident.paged
    assert incident.runbook_url.endswith("/runbooks/high-error-rate/")
