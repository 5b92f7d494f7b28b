"""`manage.py evaluate_slos`: sources → minute/hour buckets → one aggregate → snapshots."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from ingestion import timegrain
from ingestion.models import Customer, Mention, Project
from runbooks import links
from slo import budget, evaluation
from slo.models import SLO, RequestBucket, SLIHour, SLIMinute, Snapshot

from .conftest import AT, fill, steady

SIE_SLOS = {
    "ingest-availability",
    "ingest-latency-p50",
    "ingest-latency-p99",
    "ingest-error-rate",
    "queue-lag",
}


def evaluate(at=AT) -> dict[str, Snapshot]:
    out = StringIO()
    call_command("evaluate_slos", "--at", at.isoformat(), stdout=out)
    return {snap.slo.name: snap for snap in Snapshot.objects.filter(evaluated_at=at)}


def test_the_sie_owns_its_slos_after_migrate_each_with_an_existing_runbook(db):
    slos = SLO.objects.filter(service__name="sie-ingestion")
    assert {slo.name for slo in slos} == SIE_SLOS
    for slo in slos:
        assert links.resolve(slo.runbook) is not None, slo.runbook
    p99 = slos.get(name="ingest-latency-p99")
    assert (p99.sli, float(p99.objective), p99.threshold_ms) == ("latency", 99.0, 2000)


def test_the_command_prints_every_slo_of_the_sie(db):
    out = StringIO()
    call_command("evaluate_slos", stdout=out)
    text = out.getvalue()
    for name in SIE_SLOS:
        assert name in text
    assert "evaluated 5 SLOs" in text


def test_500_bad_of_a_million_over_30_days_leaves_half_the_budget(make_slo):
    slo = make_slo()
    # 1,000,000 requests spread over 30 days (one minute a day), 500 of them bad.
    rows = [(AT - timedelta(days=d, minutes=7), 33_333, 33_333) for d in range(1, 30)]
    rows.append((AT - timedelta(hours=3), 33_343 - 500, 33_343))
    fill(slo, rows)
    snap = evaluate()[slo.name]
    assert snap.total == 1_000_000
    assert snap.budget_consumed == pytest.approx(0.5)
    assert snap.budget_remaining == pytest.approx(0.5)
    assert snap.sli == pytest.approx(0.9995)
    # All 500 fell 3 hours ago: the 3d and 6h windows both burn fast enough for a ticket.
    assert [(a["severity"], a["windows"]) for a in snap.alerts] == [("ticket", ["3d", "6h"])]


def test_a_burn_of_14_4_held_for_an_hour_spends_2_percent_of_the_month(make_slo):
    slo = make_slo()
    # 1,000 requests an hour for the whole period; the last hour runs 1.44 % bad (14.4x).
    start = AT - timedelta(days=30) + timedelta(hours=1)
    fill(slo, steady(start, AT - timedelta(hours=1), 1000, 1000, step=60))
    fill(slo, [(AT - timedelta(hours=1), 1000 - 14.4, 1000)])
    snap = evaluate()[slo.name]
    assert snap.burn_rates["1h"] == pytest.approx(14.4)
    # The hour-aligned rolling period holds 719 of those hours: 14.4 × 1 h / 719 h ≈ 2 %.
    assert snap.total == 719_000
    assert snap.budget_consumed == pytest.approx(budget.consumed_by_burn(14.4, 1, 719))
    assert snap.budget_consumed == pytest.approx(0.02, abs=0.0001)


def test_a_fast_burn_pages_and_marks_the_slo_at_risk(make_slo):
    slo = make_slo()
    fill(slo, steady(AT - timedelta(days=3), AT - timedelta(hours=1), 10_000, 10_000))
    fill(slo, steady(AT - timedelta(hours=1), AT, 10_000 - 150, 10_000))  # 1.5 % bad: 15x
    snap = evaluate()[slo.name]
    assert snap.burn_rates["1h"] == pytest.approx(15.0)
    assert snap.burn_rates["5m"] == pytest.approx(15.0)
    assert snap.burn_rates["6h"] == pytest.approx(2.5)
    assert [(a["severity"], a["windows"]) for a in snap.alerts] == [("page", ["1h", "5m"])]
    assert snap.status == "at_risk"


def test_every_window_sums_exactly_the_minutes_inside_it(make_slo):
    # Random minutes over 3 days and a bit; `AT` is mid-hour, so the 1d/3d windows combine
    # partial-hour minutes at both edges with whole hourly roll-ups in between.
    rng = random.Random(7)
    occ = make_slo("occ")
    ts = make_slo("ts", budgeting="timeslices", objective="99", timeslice_target="0.95")
    rows = []
    minute = AT - timedelta(days=3, hours=1, minutes=13)
    while minute < AT + timedelta(minutes=3):  # minutes after AT must not count
        total = rng.choice([0, 5, 20, 100])
        rows.append(
            (minute, total - rng.choice([0, 0, 0, 1, 2, 10]) if total > 9 else total, total)
        )
        minute += timedelta(minutes=rng.choice([1, 1, 2, 7]))
    fill(occ, rows)
    fill(ts, rows)
    counts = evaluation.aggregate(AT, [occ.pk, ts.pk])
    for name, window in budget.BURN_WINDOWS.items():
        inside = [(g, t) for m, g, t in rows if AT - window <= m < AT]
        assert counts[occ.pk].windows[name].good == sum(g for g, _ in inside), name
        assert counts[occ.pk].windows[name].total == sum(t for _, t in inside), name
        slices = [budget.timeslice(g, t, 0.95) for g, t in inside]
        assert counts[ts.pk].windows[name].good == sum(s.good for s in slices), name
        assert counts[ts.pk].windows[name].total == sum(s.total for s in slices), name


def test_timeslices_count_good_minutes_not_requests(make_slo):
    slo = make_slo(budgeting="timeslices", objective="99", timeslice_target="0.9")
    fill(slo, [(AT - timedelta(minutes=1), 10, 100), (AT - timedelta(minutes=2), 95, 100)])
    fill(slo, [(AT - timedelta(minutes=3), 0, 0)])  # no traffic: not a slice at all
    snap = evaluate()[slo.name]
    assert (snap.good, snap.total) == (1, 2)
    assert snap.burn_rates["5m"] == pytest.approx(0.5 / 0.01)


def test_a_calendar_month_slo_ignores_last_month(make_slo):
    slo = make_slo(window="calendar_month")
    fill(slo, [(budget.month_start(AT) - timedelta(minutes=1), 0, 1000)])  # February: all bad
    fill(slo, [(AT.replace(day=2), 999, 1000)])
    snap = evaluate()[slo.name]
    assert (snap.good, snap.total) == (999, 1000)
    assert snap.budget_remaining == pytest.approx(0.0)


def test_a_push_slo_without_events_has_no_data_while_quiet_telemetry_is_zero_traffic(make_slo):
    slo = make_slo()
    snaps = evaluate()
    assert snaps[slo.name].status == "no_data"
    assert snaps[slo.name].burn_rates["1h"] is None
    quiet = snaps["ingest-availability"]
    assert quiet.status == "ok"
    assert (quiet.sli, quiet.budget_remaining, quiet.burn_rates["5m"]) == (None, 1.0, 0.0)


def test_request_telemetry_feeds_availability_latency_and_error_rate(db):
    minute = AT - timedelta(minutes=2)
    counts = [  # route, method, status class, latency bound, n
        ("ingest", "POST", "2xx", 100, 900),
        ("api/v1/ingest", "POST", "2xx", 5000, 80),
        ("ingest", "POST", "429", 50, 15),
        ("ingest", "POST", "5xx", 250, 5),
        ("ingest", "GET", "5xx", 250, 1000),  # another method: not the ingest SLOs
        ("insights", "POST", "5xx", 250, 1000),  # another route
    ]
    RequestBucket.objects.bulk_create(
        RequestBucket(minute=minute, route=r, method=m, status_class=s, le_ms=le, n=n)
        for r, m, s, le, n in counts
    )
    snaps = evaluate()
    assert snaps["ingest-availability"].total == 1000
    assert snaps["ingest-availability"].sli == pytest.approx(0.995)
    assert snaps["ingest-error-rate"].sli == pytest.approx(0.98)
    assert snaps["ingest-latency-p99"].sli == pytest.approx(0.92)  # 80 took up to 5 s
    assert snaps["ingest-latency-p50"].sli == pytest.approx(0.92)


def test_queue_lag_is_sampled_as_a_bad_minute_when_the_oldest_pending_is_too_old(db):
    project = Project.objects.create(customer=Customer.objects.create(name="c"), slug="p")
    now = timegrain.floor_minute(evaluation.timezone.now())
    Mention.objects.create(
        project=project,
        external_id="1",
        text="t",
        occurred_at=now,
        received_at=now - timedelta(minutes=9),
    )
    snap = evaluate(now)["queue-lag"]
    assert (snap.good, snap.total) == (0, 1)
    assert snap.status == "breached"


def test_evaluating_the_same_minute_twice_keeps_one_snapshot_per_slo(make_slo):
    make_slo()
    evaluate()
    evaluate()
    assert Snapshot.objects.filter(evaluated_at=AT).count() == SLO.objects.count()


def test_minutes_older_than_the_longest_window_are_pruned(make_slo):
    slo = make_slo()
    fill(slo, [(AT - timedelta(days=5), 1, 1), (AT - timedelta(days=1), 1, 1)])
    snap = evaluate()[slo.name]
    assert SLIMinute.objects.filter(slo=slo).count() == 1
    assert snap.total == 2  # the hourly roll-up still counts the old minute


# --- correctness fixes (issue 13) ------------------------------------------------------------


def test_one_slo_that_cannot_be_evaluated_does_not_stop_the_others(make_slo):
    broken, fine = make_slo("broken"), make_slo("fine")
    SLO.objects.filter(pk=broken.pk).update(window="45d")  # a row no code path can handle
    fill(fine, [(AT - timedelta(minutes=3), 10, 10)])
    snaps = evaluate()
    assert "broken" not in snaps
    assert snaps["fine"].total == 10


def test_an_at_with_an_offset_is_evaluated_in_utc_without_a_half_hour_roll_up(make_slo):
    slo = make_slo()
    fill(slo, [(AT - timedelta(minutes=40), 5, 10)])
    local = AT.astimezone(timezone(timedelta(hours=5, minutes=30)))
    call_command("evaluate_slos", "--at", local.isoformat(), stdout=StringIO())
    snap = Snapshot.objects.get(slo=slo)
    assert snap.evaluated_at == AT
    assert snap.evaluated_at.utcoffset() == timedelta(0)
    assert snap.total == 10
    assert all(hour.minute == 0 for hour in SLIHour.objects.values_list("hour", flat=True))


def test_a_source_silent_for_ten_minutes_raises_a_no_data_alert(make_slo):
    slo = make_slo(created_at=AT - timedelta(days=1))
    fill(slo, steady(AT - timedelta(hours=2), AT - timedelta(minutes=11), 10, 10))
    snap = evaluate()[slo.name]
    assert snap.burn_rates["5m"] is None
    assert [(a["severity"], a["windows"], a["name"]) for a in snap.alerts] == [
        ("ticket", ["10m"], "no_data")
    ]
    assert snap.status == "at_risk"


def test_a_source_that_reported_nine_minutes_ago_is_not_silent(make_slo):
    slo = make_slo(created_at=AT - timedelta(days=1))
    fill(slo, steady(AT - timedelta(hours=2), AT - timedelta(minutes=9), 10, 10))
    assert evaluate()[slo.name].alerts == []


def test_a_calendar_month_slo_with_data_has_zero_traffic_not_no_data_at_midnight_on_the_1st(
    make_slo,
):
    slo = make_slo(window="calendar_month")
    first = datetime(2025, 4, 1, tzinfo=UTC)
    fill(slo, steady(first - timedelta(hours=1), first, 10, 10))
    snap = evaluate(first)[slo.name]
    assert snap.status == "ok"
    assert (snap.total, snap.budget_remaining) == (0, 1.0)
    assert snap.burn_rates["1h"] == 0.0


def test_telemetry_minutes_missed_while_beat_was_down_are_rebuilt(db):
    evaluate(AT - timedelta(hours=2))
    down = AT - timedelta(minutes=90)
    RequestBucket.objects.create(
        minute=down, route="ingest", method="POST", status_class="5xx", le_ms=100, n=7
    )
    snap = evaluate()["ingest-availability"]
    assert snap.total == 7
    assert snap.burn_rates["6h"] > 0


def test_an_hour_long_outage_exactly_30_days_ago_still_counts_a_minute_later(make_slo):
    slo = make_slo()
    outage = AT - timedelta(days=30)
    background = steady(outage - timedelta(hours=1), AT, 20_000, 20_000, step=60)
    fill(slo, background + steady(outage, outage + timedelta(hours=1), 0, 1000))
    later = AT + timedelta(minutes=1)
    snap = evaluate(later)[slo.name]
    # In the period [later − 30 d, later): 59 of the outage minutes and the background.
    inside = [(m, g, t) for m, g, t in background if m >= later - timedelta(days=30)]
    bad = 59 * 1000
    total = sum(t for _, _, t in inside) + bad
    assert snap.total == total
    assert snap.budget_consumed == pytest.approx(bad / (total * 0.001), rel=1e-12)
    assert snap.status == "breached"


def test_changing_a_timeslice_objective_rejudges_the_whole_period(make_slo):
    slo = make_slo(budgeting="timeslices", objective=Decimal("99"))
    # Every minute 99.5 % good: good slices at 99 %, bad ones at 99.9 %.
    fill(slo, steady(AT - timedelta(days=5), AT, 995, 1000, step=7))
    assert evaluate()[slo.name].burn_rates["3d"] == 0.0
    slo.objective = Decimal("99.9")
    slo.save()
    snap = evaluate()[slo.name]
    assert {w: round(b, 6) for w, b in snap.burn_rates.items() if w != "5m"} == {
        w: 1000.0 for w in ("30m", "1h", "2h", "6h", "1d", "3d")
    }
    assert snap.budget_consumed == pytest.approx(1000.0)


def test_a_replay_writes_hourly_snapshots_for_the_past_and_is_idempotent(make_slo):
    slo = make_slo()
    fill(slo, steady(AT - timedelta(days=2), AT, 999, 1000, step=10))
    start, end = AT - timedelta(days=2, minutes=37), AT - timedelta(minutes=37)
    args = ["--from", start.isoformat(), "--to", end.isoformat(), "--step", "1h"]
    for _ in range(2):
        out = StringIO()
        call_command("evaluate_slos", *args, stdout=out)
    assert "replayed 49 moments" in out.getvalue()
    snaps = Snapshot.objects.filter(slo=slo).order_by("evaluated_at")
    assert snaps.count() == 49
    assert snaps.first().evaluated_at == start and snaps.last().evaluated_at == end
    expected = evaluation.compute(end, [slo.pk])[0]
    assert snaps.last().budget_consumed == pytest.approx(expected.budget_consumed, rel=1e-12)
    assert snaps.last().burn_rates == pytest.approx(expected.burn_rates, rel=1e-12)
    # A later Beat tick keeps the replayed hours beyond the per-minute snapshot retention.
    evaluate(AT + timedelta(days=20))
    assert Snapshot.objects.filter(slo=slo, evaluated_at__lte=end).count() == 49
