"""`make demo`'s simulator stays inside its customer's tier quota (issue 10)."""

from __future__ import annotations

from ingestion.simulation import rate_within_tier


def test_the_demo_rate_is_capped_below_the_enterprise_quota():
    rate = rate_within_tier(5.0, 10_000)
    assert rate * 3600 <= 0.9 * 10_000
    assert rate == 2.5


def test_a_rate_already_inside_the_quota_is_kept():
    assert rate_within_tier(1.0, 10_000) == 1.0
