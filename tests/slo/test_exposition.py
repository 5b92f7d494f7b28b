"""SLOCollector: the SLO gauges of SPEC §9, from the latest snapshots."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from slo import evaluation
from slo.exposition import SLOCollector

from .conftest import AT, fill


def test_the_last_tick_is_exposed_as_gauges(make_slo):
    slo = make_slo()
    fill(slo, [(AT.replace(minute=30), 998, 1000)])
    evaluation.evaluate_all(AT)
    registry = CollectorRegistry()
    registry.register(SLOCollector())
    text = generate_latest(registry).decode()
    labels = 'service="checkout",slo="checkout-availability"'
    assert f"sie_slo_sli{{{labels}}} 0.998" in text
    assert f"sie_slo_error_budget_remaining{{{labels}}} -1.0" in text
    assert f'sie_slo_burn_rate{{{labels},window="1h"}} 2.0' in text
    assert 'sie_slo_burn_rate{service="sie-ingestion",slo="queue-lag",window="5m"}' not in text
