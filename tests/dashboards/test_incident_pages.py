from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents.models import Actor, Incident, IncidentEvent, OutboxEvent, Silence
from slo.models import Service

from .conftest import snapshot


@pytest.fixture
def incident(make_slo) -> Incident:
    slo = make_slo()
    found = Incident.objects.create(dedup_key="k1", title="checkout burning budget",
                                    severity="P1", slo=slo, service=slo.service,
                                    routing_key="R" * 32)  # fmt: skip
    found.record("triggered", "rule checkout", Actor.RULE)
    return found


def test_the_list_shows_open_incidents_and_silences(staff_client, incident):
    resolved = Incident.objects.create(dedup_key="k2", title="old one", severity="P3")
    resolved.resolve("x", Actor.API)
    Silence.objects.create(service=Service.objects.get(name="checkout"), comment="deploy",
                           ends_at=timezone.now() + timedelta(hours=2))  # fmt: skip
    body = staff_client.get("/dashboards/incidents/").content.decode()
    assert "checkout burning budget" in body and "old one" not in body
    assert "deploy" in body
    assert "old one" in staff_client.get("/dashboards/incidents/?status=all").content.decode()


def test_acknowledge_then_resolve_from_the_page(staff_client, incident):
    page = staff_client.get(f"/dashboards/incidents/{incident.pk}/").content.decode()
    assert 'id="acknowledge"' in page and "triggered" in page
    response = staff_client.post(f"/dashboards/incidents/{incident.pk}/acknowledge/")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    staff_client.post(f"/dashboards/incidents/{incident.pk}/resolve/")
    incident.refresh_from_db()
    assert incident.status == "resolved"
    kinds = list(IncidentEvent.objects.filter(incident=incident).values_list("kind", "actor"))
    assert kinds[-2:] == [("acknowledged", "sre"), ("resolved", "sre")]
    assert OutboxEvent.objects.filter(incident=incident).count() == 2
    page = staff_client.get(f"/dashboards/incidents/{incident.pk}/").content.decode()
    assert 'id="acknowledge"' not in page and 'id="resolve"' not in page


def test_the_buttons_need_post_and_a_csrf_token(staff, incident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.get(f"/dashboards/incidents/{incident.pk}/acknowledge/").status_code == 405
    assert client.post(f"/dashboards/incidents/{incident.pk}/acknowledge/").status_code == 403
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_open_incidents_show_on_the_overview_and_the_slo_timeline(staff_client, incident):
    snapshot(incident.slo, timezone.now().replace(second=0, microsecond=0), 0.4)
    overview = staff_client.get("/dashboards/slo/").content.decode()
    row = overview.split(f'data-slo="{incident.slo.pk}"')[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in row
    detail = staff_client.get(f"/dashboards/slo/{incident.slo.pk}/").content.decode()
    assert "checkout burning budget" in detail
