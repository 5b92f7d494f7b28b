"""slo.budget: the SRE Workbook arithmetic, against known answers and a plain reference."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slo import budget
from slo.budget import NO_DATA, Counts

OBJECTIVES = st.sampled_from([90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99])


@st.composite
def minutes(draw):
    """Per-minute (good, total) pairs, some minutes without traffic."""
    totals = draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=60))
    return [(draw(st.integers(0, total)), total) for total in totals]


def reference_burn(pairs, objective):
    good = sum(g for g, _ in pairs)
    total = sum(t for _, t in pairs)
    if total == 0:
        return Fraction(0)
    return Fraction(total - good, total) / (1 - Fraction(str(objective)) / 100)


def test_a_999_slo_with_500_bad_of_a_million_has_consumed_half_its_budget():
    period = Counts(good=1_000_000 - 500, total=1_000_000)
    assert budget.budget_consumed(period, 99.9) == pytest.approx(0.5)
    assert budget.budget_remaining(period, 99.9) == pytest.approx(0.5)
    assert budget.error_budget(99.9) == pytest.approx(0.001)


def test_a_burn_of_14_4_for_an_hour_spends_2_percent_of_a_30_day_budget():
    assert budget.consumed_by_burn(14.4, 1, 30 * 24) == pytest.approx(0.02)


def test_a_burn_of_6_for_six_hours_spends_5_percent_of_a_30_day_budget():
    assert budget.consumed_by_burn(6, 6, 30 * 24) == pytest.approx(0.05)


def test_the_30_day_factors_are_the_workbook_ones():
    factors = [rule.factor for rule in budget.alert_rules(30 * 24)]
    assert factors == pytest.approx([14.4, 6, 3, 1])


def test_a_28_day_period_keeps_the_budget_shares_except_below_factor_1():
    factors = [rule.factor for rule in budget.alert_rules(28 * 24)]
    assert factors == pytest.approx([13.44, 5.6, 2.8, 1.0], abs=1e-4)


def test_a_page_needs_both_the_long_and_the_short_window_burning():
    rates = {"1h": 20.0, "5m": 1.0, "6h": 0.5, "30m": 0.5, "1d": 0.1, "2h": 0.1, "3d": 0.1}
    assert budget.firing_alerts(rates, 720) == []
    rates["5m"] = 15.0
    alerts = budget.firing_alerts(rates, 720)
    assert [(a.severity, a.long_window, a.short_window) for a in alerts] == [("page", "1h", "5m")]


def test_a_slow_steady_burn_opens_a_ticket_not_a_page():
    rates = dict.fromkeys(budget.BURN_WINDOWS, 1.5)
    alerts = budget.firing_alerts(rates, 720)
    assert [(a.severity, a.long_window) for a in alerts] == [("ticket", "3d")]


def test_no_data_is_not_zero_traffic():
    zero = Counts(0, 0)
    assert budget.burn_rate(zero, 99.9) == 0.0
    assert budget.budget_remaining(zero, 99.9) == 1.0
    assert budget.sli(zero) is None
    assert budget.burn_rate(NO_DATA, 99.9) is None
    assert budget.budget_remaining(NO_DATA, 99.9) is None
    assert budget.status(NO_DATA, None, []) == "no_data"
    assert budget.status(zero, 1.0, []) == "ok"


def test_an_overspent_budget_is_breached_and_goes_negative():
    period = Counts(good=990, total=1000)
    remaining = budget.budget_remaining(period, 99.9)
    assert remaining == pytest.approx(-9.0)
    assert budget.status(period, remaining, []) == "breached"


def test_a_timeslice_meets_the_target_without_float_error():
    assert budget.timeslice(999, 1000, 0.999) == Counts(1, 1)
    assert budget.timeslice(998, 1000, 0.999) == Counts(0, 1)
    assert budget.timeslice(0, 0, 0.999) == Counts(0, 0)


def test_calendar_months_have_their_own_length():
    feb = datetime(2025, 2, 10, 12, 30, tzinfo=UTC)
    assert budget.period_hours("calendar_month", feb) == 28 * 24
    assert budget.period_start("calendar_month", feb) == datetime(2025, 2, 1, tzinfo=UTC)
    assert budget.period_start("7d", feb) == datetime(2025, 2, 3, 12, 30, tzinfo=UTC)


@given(minutes(), OBJECTIVES)
def test_burn_rate_is_traffic_weighted_like_the_reference(pairs, objective):
    counts = Counts(sum(g for g, _ in pairs), sum(t for _, t in pairs))
    assert budget.burn_rate(counts, objective) == pytest.approx(
        float(reference_burn(pairs, objective)), rel=1e-9
    )


@given(minutes(), OBJECTIVES)
def test_consumed_plus_remaining_is_the_whole_budget(pairs, objective):
    counts = Counts(sum(g for g, _ in pairs), sum(t for _, t in pairs))
    consumed = budget.budget_consumed(counts, objective)
    assert consumed + budget.budget_remaining(counts, objective) == pytest.approx(1.0)
    # Over a whole period, the budget consumed equals the burn rate (period ÷ period).
    assert consumed == pytest.approx(budget.burn_rate(counts, objective))


@pytest.mark.parametrize("days", [7, 14, 28, 30, 31])
def test_burning_at_the_factor_for_the_long_window_spends_the_share_or_more_at_factor_1(days):
    for rule in budget.alert_rules(days * 24):
        hours = budget.BURN_WINDOWS[rule.long_window].total_seconds() / 3600
        spent = budget.consumed_by_burn(rule.factor, hours, days * 24)
        if rule.factor > 1:
            assert spent == pytest.approx(rule.budget_share)
        else:
            assert rule.factor == 1.0 and spent >= rule.budget_share


# --- exact arithmetic (issue 13) -------------------------------------------------------------


def test_a_99_9_budget_is_exactly_one_in_a_thousand():
    assert budget.error_budget(99.9) == 0.001
    assert budget.error_budget(99.99) == 0.0001


def test_a_budget_spent_exactly_reads_zero_remaining_and_is_not_breached():
    period = Counts(good=999_000, total=1_000_000)
    assert budget.budget_consumed(period, 99.9) == 1.0
    assert budget.budget_remaining(period, 99.9) == 0.0
    assert budget.status(period, budget.budget_remaining(period, 99.9), []) == "ok"


def test_a_burn_of_exactly_14_4_does_not_fire_the_strict_page_condition():
    burn = budget.burn_rate(Counts(good=10_000 - 144, total=10_000), 99.9)
    assert burn == 14.4
    rates = {"1h": burn, "5m": burn, "6h": 0.0, "30m": 0.0, "1d": 0.0, "2h": 0.0, "3d": 0.0}
    assert budget.firing_alerts(rates, 720) == []


@pytest.mark.parametrize("days", [7, 14, 28, 30])
def test_every_factor_is_at_least_one_so_a_budget_that_ends_unspent_never_tickets(days):
    rules = budget.alert_rules(days * 24.0)
    assert min(rule.factor for rule in rules) >= 1.0
    assert [rule.factor for rule in budget.alert_rules(720)] == [14.4, 6.0, 3.0, 1.0]


def test_an_objective_at_or_below_83_33_can_never_page():
    # At or below 93.06 % the 1h/5m page (14.4) cannot fire; the 6h/30m one (6) still can.
    assert budget.max_burn(93.0) < 14.4 < budget.max_burn(93.1)
    assert budget.unreachable_severities(93.0, 720) == []
    assert budget.unreachable_severities(83.3, 720) == ["page"]
    assert budget.unreachable_severities(99.9, 720) == []
    # A total outage burns 1 ÷ budget > 1, so the 3d/6h ticket (factor 1) always can fire.
    assert budget.unreachable_severities(50.0, 720) == ["page"]
    assert budget.unreachable_warning(Decimal("50"), "30d") == "at 50% a page can never fire"
