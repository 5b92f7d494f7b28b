from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboards import forecast, planner, sparkline

START = datetime(2026, 11, 1, tzinfo=UTC)


def test_a_steady_burn_of_one_spends_the_whole_budget_over_the_period():
    assert forecast.hours_to_exhaustion(1.0, 1.0, 720) == pytest.approx(720)


def test_no_burn_never_exhausts_and_a_spent_budget_is_gone_now():
    assert forecast.hours_to_exhaustion(0.5, 0.0, 720) is None
    assert forecast.hours_to_exhaustion(-0.1, 3.0, 720) == 0.0
    assert forecast.hours_to_exhaustion(None, 3.0, 720) is None


@given(st.floats(0.01, 1), st.floats(0.01, 100))
def test_burning_twice_as_fast_halves_the_time_left(remaining, burn):
    once = forecast.hours_to_exhaustion(remaining, burn, 720)
    assert forecast.hours_to_exhaustion(remaining, burn * 2, 720) == pytest.approx(once / 2)


def test_the_ideal_line_falls_from_one_to_zero_over_the_period():
    end = START + timedelta(days=30)
    assert forecast.ideal_remaining(START, end, START) == 1.0
    assert forecast.ideal_remaining(START, end, START + timedelta(days=15)) == pytest.approx(0.5)
    assert forecast.ideal_remaining(START, end, end + timedelta(days=1)) == 0.0


def test_hours_read_as_minutes_hours_or_days():
    assert [forecast.humanize_hours(h) for h in (None, 0, 0.5, 7.25, 72)] == [
        "never", "now", "30m", "7.2h", "3.0d"]  # fmt: skip


def test_instances_are_sized_from_the_measured_cost_at_the_target_utilisation():
    # 500 req/s × 2 ms = 1 core busy → 2 instances at 70 %; 1M/day × 2 burst × 1 ms = 0.023 core
    p = planner.plan(1_000_000, 500, cpu_per_request=0.002, cpu_per_mention=0.001)
    assert p.api_cpu == pytest.approx(1.0) and p.api_instances == 2
    assert p.worker_cpu == pytest.approx(1_000_000 / 86_400 * 2 * 0.001)
    assert p.worker_instances == 1


def test_without_a_measurement_the_planner_says_so_instead_of_guessing():
    p = planner.plan(10_000, 5, cpu_per_request=None, cpu_per_mention=None)
    assert p.api_instances is None and p.worker_instances is None


def test_a_single_evaluation_draws_a_level_sparkline():
    assert sparkline.points([None, 0.5, None]) == "0.0,12.0 120.0,12.0"


def test_sparklines_scale_budget_into_the_box_and_skip_gaps():
    assert sparkline.points([1.0, None, 0.0]) == "0.0,0.0 120.0,24.0"
