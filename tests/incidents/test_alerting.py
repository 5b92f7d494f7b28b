"""Alert rules evaluated in the Beat tick: state machine, burn-rate and threshold rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents import alerting, outbox
from incidents.models import (
    Alert,
    AlertRule,
    AlertState,
    Incident,
    IncidentStatus,
    OutboxEvent,
    RuleKind,
    Silence,
)
from slo.models import RequestBucket

from .conftest import AT, push, tick

M = timedelta(minutes=1)
S = alerting.AlertState


def step(state, true, at=AT, pending_since=None, last_true_at=None, for_m=5, keep_m=5):
    return alerting.next_state(
        state,
        true,
        at,
        pending_since=pending_since,
        last_true_at=last_true_at,
        for_duration=for_m * M,
        keep_firing_for=keep_m * M,
    )


def test_a_condition_is_pending_until_it_held_for_its_duration():
    assert step(S.INACTIVE, True) == S.PENDING
    assert step(S.PENDING, True, pending_since=AT - 4 * M) == S.PENDING
    assert step(S.PENDING, True, pending_since=AT - 5 * M) == S.FIRING
    assert step(S.PENDING, False, pending_since=AT - 4 * M) == S.INACTIVE
    assert step(S.INACTIVE, True, for_m=0) == S.FIRING


def test_keep_firing_for_holds_a_flapping_alert_then_resolves_it():
    assert step(S.FIRING, False, last_true_at=AT - 4 * M) == S.FIRING
    assert step(S.FIRING, False, last_true_at=AT - 5 * M) == S.RESOLVED
    assert step(S.RESOLVED, False) == S.RESOLVED
    assert step(S.RESOLVED, True, for_m=0) == S.FIRING


def burning(make_slo):
    """An SLO whose last 70 minutes burned at 20× (2 % bad against a 99.9 % objective)."""
    slo = make_slo()
    push(slo, AT - 70 * M, AT, good=980, total=1000)
    return slo


def test_an_slo_burning_at_20x_pages_exactly_once_across_many_ticks(make_slo, fake_pd):
    slo = burning(make_slo)
    for minute in range(0, 30, 5):
        at = AT + minute * M
        push(slo, at, at + 5 * M, good=980, total=1000)
        tick(at)
        outbox.deliver_due(at)
    rule = AlertRule.objects.get(slo=slo)
    key = f"sie-rule-{rule.pk}/page"
    assert fake_pd.actions() == [("trigger", key)]
    [trigger] = fake_pd.accepted
    assert trigger["payload"]["severity"] == "critical"
    details = trigger["payload"]["custom_details"]
    assert details["slo"] == "checkout/availability" and details["objective"] == 99.9
    assert details["burn_rates"]["1h"] == pytest.approx(20.0)
    assert details["budget_remaining"] is not None
    assert any(link["href"].endswith(f"/dashboards/slo/{slo.pk}/") for link in trigger["links"])
    incident = Incident.objects.get(dedup_key=key)
    assert incident.severity == "P1" and incident.status == IncidentStatus.TRIGGERED


def test_recovery_resolves_the_incident_and_sends_one_resolve(make_slo, fake_pd):
    slo = burning(make_slo)
    tick(AT)
    outbox.deliver_due(AT)
    for minute in range(5, 65, 5):  # good traffic from now on
        at = AT + minute * M
        push(slo, at - 5 * M, at, good=1000, total=1000)
        tick(at)
        outbox.deliver_due(at)
    key = f"sie-rule-{AlertRule.objects.get(slo=slo).pk}/page"
    assert fake_pd.actions() == [("trigger", key), ("resolve", key)]
    incident = Incident.objects.get(dedup_key=key)
    assert incident.status == IncidentStatus.RESOLVED
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds == ["triggered", "paged", "alert_resolved", "resolved"]


def test_a_renamed_rule_still_resolves_its_open_incident_on_the_same_dedup_key(make_slo, fake_pd):
    slo = burning(make_slo)
    tick(AT)
    AlertRule.objects.filter(slo=slo).update(name="checkout availability (renamed)")
    for minute in range(5, 65, 5):
        at = AT + minute * M
        push(slo, at - 5 * M, at, good=1000, total=1000)
        tick(at)
    outbox.deliver_due(AT + 65 * M)
    actions = fake_pd.actions()
    assert [a for a, _ in actions] == ["trigger", "resolve"] and actions[0][1] == actions[1][1]
    page = Incident.objects.get(slo=slo, dedup_key__endswith="/page")
    assert page.dedup_key == actions[0][1] and not page.is_open


def test_a_disabled_rule_resolves_what_it_had_opened(make_slo, fake_pd):
    slo = burning(make_slo)
    tick(AT)
    AlertRule.objects.filter(slo=slo).update(enabled=False)
    tick(AT + M)
    outbox.deliver_due(AT + M)
    assert [a for a, _ in fake_pd.actions()] == ["trigger", "resolve"]


def threshold_5xx(minute, errors, total):
    RequestBucket.objects.create(
        minute=minute, route="ingest", method="POST", status_class="5xx", le_ms=100, n=errors
    )
    RequestBucket.objects.create(
        minute=minute,
        route="ingest",
        method="POST",
        status_class="2xx",
        le_ms=100,
        n=total - errors,
    )


def test_the_5xx_threshold_rule_fires_only_after_holding_for_five_minutes(db, fake_pd, service):
    rule = AlertRule.objects.get(name="5xx > 1% for 5 min")
    AlertRule.objects.filter(pk=rule.pk).update(service=service)
    states = []
    for minute in range(7):
        at = AT + minute * M
        threshold_5xx(at - M, errors=5, total=100)
        tick(at)
        states.append(Alert.objects.get(rule=rule).state)
    assert states == ["pending"] * 5 + ["firing"] * 2
    outbox.deliver_due(AT + 7 * M)
    assert fake_pd.actions() == [("trigger", f"sie-rule-{rule.pk}")]


def test_a_silenced_service_records_the_incident_but_does_not_page(make_slo, fake_pd):
    slo = burning(make_slo)
    Silence.objects.create(service=slo.service, starts_at=AT - M, ends_at=AT + 2 * 60 * M)
    tick(AT)
    outbox.deliver_due(AT)
    incident = Incident.objects.get(slo=slo, dedup_key__endswith="/page")
    assert incident.is_open and not incident.paged
    assert "not_paged" in incident.events.values_list("kind", flat=True)
    assert Alert.objects.get(key__endswith="/page").silenced_by is not None
    assert fake_pd.received == [] and not OutboxEvent.objects.exists()


def test_a_paged_alert_silenced_later_still_sends_its_resolve(make_slo, fake_pd):
    # Alertmanager #3664: a silence added after the page must not swallow the resolve.
    slo = burning(make_slo)
    tick(AT)
    Silence.objects.create(service=slo.service, starts_at=AT, ends_at=AT + 10 * 60 * M)
    for minute in range(5, 65, 5):
        at = AT + minute * M
        push(slo, at - 5 * M, at, good=1000, total=1000)
        tick(at)
    outbox.deliver_due(AT + 65 * M)
    assert [a for a, _ in fake_pd.actions()] == ["trigger", "resolve"]


def test_an_alert_firing_again_on_its_open_incident_joins_without_paging(make_slo, fake_pd):
    slo = burning(make_slo)
    alerting.ensure_burn_rate_rules()
    AlertRule.objects.filter(slo=slo).update(auto_resolve=False)
    tick(AT)
    for minute in range(5, 65, 5):
        at = AT + minute * M
        push(slo, at - 5 * M, at, good=1000, total=1000)
        tick(at)
    push(slo, AT + 65 * M, AT + 135 * M, good=980, total=1000)
    tick(AT + 135 * M)
    outbox.deliver_due(AT + 135 * M)
    assert [a for a, _ in fake_pd.actions()] == ["trigger"]
    incident = Incident.objects.get(slo=slo, dedup_key__endswith="/page")
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds == ["triggered", "paged", "alert_resolved", "alert_joined"]
    assert incident.is_open


def test_every_slo_gets_a_burn_rate_rule_named_after_it(make_slo):
    slo = make_slo(name="latency", runbook="high-latency")
    alerting.ensure_burn_rate_rules()
    rule = AlertRule.objects.get(slo=slo)
    assert rule.kind == RuleKind.BURN_RATE and rule.name == "burn rate: checkout/latency"
    assert rule.runbook == "high-latency"
    assert AlertState.FIRING == "firing"


def test_an_alert_still_firing_when_its_silence_ends_pages_then(make_slo, fake_pd):
    slo = burning(make_slo)
    Silence.objects.create(service=slo.service, starts_at=AT - M, ends_at=AT + 7 * M)
    for minute in (0, 5, 10, 15):
        at = AT + minute * M
        push(slo, at, at + 5 * M, good=980, total=1000)
        tick(at)
        outbox.deliver_due(at)
    key = f"sie-rule-{AlertRule.objects.get(slo=slo).pk}/page"
    assert fake_pd.actions() == [("trigger", key)]
    kinds = list(Incident.objects.get(dedup_key=key).events.values_list("kind", flat=True))
    assert kinds == ["triggered", "not_paged", "paged"]
