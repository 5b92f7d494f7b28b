from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from incidents.models import (
    Actor,
    Incident,
    IncidentEvent,
    IncidentStatus,
    OutboxAction,
    OutboxEvent,
)

pytestmark = pytest.mark.django_db


def make_incident(dedup_key: str = "k1", routing_key: str = "R" * 32) -> Incident:
    return Incident.objects.create(
        dedup_key=dedup_key, title="t", severity="P1", routing_key=routing_key
    )


def test_only_one_open_incident_per_dedup_key_exists():
    make_incident()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_incident()


def test_a_resolved_incident_does_not_block_a_new_one_with_the_same_key():
    make_incident().resolve("alice", Actor.API)
    assert make_incident().is_open


def test_acknowledge_then_resolve_writes_the_timeline_and_the_outbox_in_order():
    incident = make_incident()
    assert incident.acknowledge("alice", Actor.API)
    assert not incident.acknowledge("alice", Actor.API)
    assert incident.resolve("bob", Actor.ADMIN)
    assert not incident.resolve("bob", Actor.ADMIN)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED and incident.resolved_at
    kinds = [(e.kind, e.actor, e.source) for e in incident.events.all()]
    assert kinds == [("acknowledged", "alice", "api"), ("resolved", "bob", "admin")]
    actions = list(OutboxEvent.objects.values_list("action", "dedup_key", "routing_key"))
    assert actions == [
        (OutboxAction.ACKNOWLEDGE, "k1", "R" * 32),
        (OutboxAction.RESOLVE, "k1", "R" * 32),
    ]


def test_changes_that_came_from_pagerduty_are_not_echoed_back_to_it():
    incident = make_incident()
    incident.acknowledge("PagerDuty user", Actor.PAGERDUTY)
    incident.resolve("PagerDuty user", Actor.PAGERDUTY)
    assert not OutboxEvent.objects.exists()
    assert incident.events.count() == 2


def test_an_incident_that_never_paged_sends_nothing():
    make_incident(routing_key="").resolve("alice", Actor.API)
    assert not OutboxEvent.objects.exists()


def test_the_timeline_is_append_only():
    event = make_incident().record("annotated", "alice", Actor.API, "note")
    event.message = "changed"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        IncidentEvent.objects.all().update(message="x")
    with pytest.raises(TypeError):
        IncidentEvent.objects.all().delete()
