"""The engine against an independent reference: plain Python over the same raw minutes.

Random histories over 34 days with backfilled hours (older minutes written straight into
hourly buckets), dense recent minutes, empty minutes and zero-traffic rows, minutes at
both partial edges of every window, and a calendar-month boundary. The live tick (one SQL
aggregate) and a replay of a past moment (per-minute timeline) must agree with the
reference to 1e-9."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from ingestion.timegrain import floor_hour
from slo import buckets, evaluation
from slo.budget import BURN_WINDOWS, ROLLING_DAYS
from slo.models import Snapshot

AT = datetime(2025, 4, 2, 9, 37, tzinfo=UTC)  # 2 days into April: the 3d window spans March
PAST = AT - timedelta(days=2, hours=5, minutes=11)  # replayed: its minute rows are pruned
SLOS = [  # name, window, budgeting, objective
    ("occ-30d", "30d", "occurrences", Decimal("99.9")),
    ("slices-7d", "7d", "timeslices", Decimal("99")),
    ("month", "calendar_month", "occurrences", Decimal("99.5")),
]


def random_minutes(rng: random.Random) -> dict[datetime, tuple[int, int]]:
    start = AT - timedelta(days=34)
    picks = {start + timedelta(minutes=rng.randrange(34 * 1440)) for _ in range(2500)}
    picks |= {AT - timedelta(minutes=m) for m in range(1, 8 * 60) if rng.random() < 0.8}
    for moment in (AT, PAST):  # both partial edges of every window and period
        for width in [*BURN_WINDOWS.values(), *(timedelta(days=d) for d in (7, 30))]:
            picks |= {moment - width + timedelta(minutes=d) for d in (-2, -1, 0, 1, 2)}
    picks |= {datetime(2025, 4, 1, tzinfo=UTC) + timedelta(minutes=d) for d in (-1, 0, 1)}
    minutes = {}
    for minute in picks:
        total = 0 if rng.random() < 0.1 else rng.randrange(1, 1000)
        good = total - min(total, rng.choice([0, 0, 0, 1, 3, rng.randrange(0, total + 1)]))
        minutes[minute] = (good, total)
    return minutes


def store(slo, minutes: dict[datetime, tuple[int, int]]) -> None:
    cutoff = buckets.minute_cutoff(AT)
    recent = [(slo.pk, m, float(g), float(t)) for m, (g, t) in minutes.items() if m >= cutoff]
    old = [(m, float(g), float(t)) for m, (g, t) in minutes.items() if m < cutoff]
    buckets.write_minutes(recent, buckets.Merge.ADD)
    buckets.roll_up_hours({floor_hour(row[1]) for row in recent}, [slo.pk])
    buckets.write_hour_minutes(slo, old, buckets.Merge.ADD)  # the backfill path


def reference(minutes, window, budgeting, objective, at):
    """Burn rates and budget consumed as exact fractions, summed minute by minute."""
    budget = 1 - Fraction(objective) / 100

    def counts(start):
        good = total = 0
        for minute, (g, t) in minutes.items():
            if start <= minute < at:
                if budgeting == "timeslices":
                    g, t = (int(t > 0 and g * 100 >= Fraction(objective) * t), int(t > 0))
                good, total = good + g, total + t
        return good, total

    def burn(start):
        good, total = counts(start)
        return Fraction(0) if total == 0 else Fraction(total - good, total) / budget

    if window == "calendar_month":
        period_start = at.replace(day=1, hour=0, minute=0)
    else:
        period_start = at - timedelta(days=ROLLING_DAYS[window])
    burns = {name: burn(at - width) for name, width in BURN_WINDOWS.items()}
    return burns, burn(period_start), counts(period_start)


def assert_agrees(snapshot: Snapshot, expected) -> None:
    burns, consumed, (good, total) = expected
    for name, value in burns.items():
        assert snapshot.burn_rates[name] == pytest.approx(float(value), rel=1e-9, abs=1e-9), name
    assert snapshot.budget_consumed == pytest.approx(float(consumed), rel=1e-9, abs=1e-9)
    assert (snapshot.good, snapshot.total) == (good, total)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_tick_and_a_replay_agree_with_the_reference_to_1e_9(make_slo, seed):
    rng = random.Random(seed)
    slos = {}
    for name, window, budgeting, objective in SLOS:
        slo = make_slo(name, window=window, budgeting=budgeting, objective=objective)
        slos[name] = (slo, random_minutes(rng))
        store(slo, slos[name][1])
    live = {snap.slo.name: snap for snap in evaluation.compute(AT)}
    evaluation.replay(PAST, PAST, timedelta(hours=1))
    for name, window, budgeting, objective in SLOS:
        slo, minutes = slos[name]
        assert_agrees(live[name], reference(minutes, window, budgeting, objective, AT))
        replayed = Snapshot.objects.get(slo=slo, evaluated_at=PAST)
        assert_agrees(replayed, reference(minutes, window, budgeting, objective, PAST))


# Later moments over the same stored history: on the hour, at midnight (a day's roll-up
# becomes a whole day of every window) and a minute after it.
LATER = [timedelta(minutes=23), timedelta(hours=14, minutes=23), timedelta(hours=14, minutes=24)]


@pytest.mark.parametrize("later", LATER, ids=["on-the-hour", "midnight", "midnight+1m"])
def test_the_tick_reads_days_hours_and_minutes_as_the_reference_does(make_slo, later):
    rng = random.Random(7)
    at = AT + later
    slos = {}
    for name, window, budgeting, objective in SLOS:
        slo = make_slo(name, window=window, budgeting=budgeting, objective=objective)
        minutes = random_minutes(rng)
        for m in range(int(later / timedelta(minutes=1))):  # the minutes up to `at`
            total = rng.randrange(0, 1000)
            minutes[AT + timedelta(minutes=m)] = (total - rng.randrange(0, 3) * (total > 2), total)
        slos[name] = (slo, minutes)
        store(slo, minutes)
    live = {snap.slo.name: snap for snap in evaluation.compute(at)}
    for name, window, budgeting, objective in SLOS:
        assert_agrees(live[name], reference(slos[name][1], window, budgeting, objective, at))
