"""Routing: routing keys per service (kept per incident), paging severities, pacing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents import outbox
from incidents.models import OutboxEvent, Route

from .conftest import AT, ROUTING_KEY

pytestmark = pytest.mark.django_db


def test_a_changed_routing_key_still_closes_open_incidents_on_the_old_key(
    fake_pd, fire, recover, service
):
    fire("am-1")
    service.routing_key = "N" * 32
    service.save()
    recover("am-1", at=AT + timedelta(minutes=3))
    fire("am-2", at=AT + timedelta(minutes=4))
    outbox.deliver_due(AT + timedelta(minutes=5))
    sent = [(e["event_action"], e["dedup_key"], e["routing_key"]) for e in fake_pd.accepted]
    assert [s for s in sent if s[1] == "am-1"][0][0] == "trigger"
    assert sorted(sent) == sorted(
        [
            ("trigger", "am-1", ROUTING_KEY),
            ("resolve", "am-1", ROUTING_KEY),
            ("trigger", "am-2", "N" * 32),
        ]
    )


def test_which_severities_page_is_a_setting_per_service(fire, service):
    Route.objects.create(service=service, page_severities=["P1", "P3"])
    assert fire("am-1", severity="P2").paged is False
    assert fire("am-2", severity="P3").paged is True
    assert list(OutboxEvent.objects.values_list("dedup_key", flat=True)) == ["am-2"]


def test_p1_and_p2_page_by_default_p3_and_p4_are_recorded(fire):
    paged = {sev: fire(f"am-{sev}", severity=sev).paged for sev in ("P1", "P2", "P3", "P4")}
    assert paged == {"P1": True, "P2": True, "P3": False, "P4": False}


def test_events_are_paced_per_routing_key(fake_pd, fire, settings):
    settings.PAGERDUTY_EVENTS_PER_MINUTE = 3
    for i in range(5):
        fire(f"am-{i}")
    assert outbox.deliver_due(AT) == 3
    assert outbox.deliver_due(AT + timedelta(seconds=20)) == 0
    assert outbox.deliver_due(AT + timedelta(minutes=2)) == 2
    assert len(fake_pd.received) == 5
