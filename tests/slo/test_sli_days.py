"""Daily roll-ups: every path that writes hourly buckets keeps each day the sum of its
hours, old days are pruned with their hours, and migration 0005 fills days from the hours
an existing installation already has."""

from __future__ import annotations

import importlib
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.apps import apps
from django.db import connection
from django.utils import timezone

from ingestion.timegrain import floor_day, floor_hour
from slo import buckets, sources
from slo.models import HOUR_RETENTION, SLO, RequestBucket, SLIDay, SLIHour, Source
from slo.sources import Event

from .conftest import AT, fill, steady


def hours_by_day(slo: SLO) -> dict:
    days: dict = defaultdict(lambda: [0.0, 0.0, 0, 0])
    for hour in SLIHour.objects.filter(slo=slo):
        day = days[floor_day(hour.hour)]
        day[0] += hour.good
        day[1] += hour.total
        day[2] += hour.good_slices
        day[3] += hour.total_slices
    return {day: tuple(sums) for day, sums in days.items()}


def stored_days(slo: SLO) -> dict:
    rows = SLIDay.objects.filter(slo=slo).values_list(
        "day", "good", "total", "good_slices", "total_slices"
    )
    return {day: tuple(sums) for day, *sums in rows}


def test_pushed_backfilled_and_rejudged_hours_keep_every_day_the_sum_of_its_hours(make_slo):
    slo = make_slo(budgeting="timeslices", objective=Decimal("99"))
    now = timezone.now()
    old = [Event(now - timedelta(days=20, minutes=m), 995, 1000) for m in range(0, 3000, 7)]
    recent = [Event(now - timedelta(hours=30, minutes=m), 990, 1000) for m in range(0, 900, 3)]
    sources.record_events(slo, old + recent)  # old ones go straight into hours
    assert stored_days(slo) == hours_by_day(slo) and len(stored_days(slo)) >= 4
    sources.record_events(slo, old[:50], buckets.Merge.REPLACE)
    slo.objective = Decimal("99.9")  # every slice re-judged, every day re-summed
    slo.save()
    assert stored_days(slo) == hours_by_day(slo)
    assert sum(day[2] for day in stored_days(slo).values()) == 0  # 99.5 % < 99.9 %


def test_the_tick_rolls_up_the_last_hour_of_its_own_sources_when_beat_missed_the_top_of_it(db):
    at = AT.replace(minute=20)  # no tick ran between :00 and :19
    previous = floor_hour(at) - timedelta(hours=1)
    RequestBucket.objects.create(
        minute=previous + timedelta(minutes=47), route="ingest", method="POST",
        status_class="2xx", le_ms=100, n=9,
    )  # fmt: skip
    sources.derive_telemetry(previous + timedelta(minutes=50))  # its minutes, no roll-up
    sources.roll_up_finished_hour(at)
    telemetry = SLO.objects.filter(source=Source.TELEMETRY, name="ingest-availability").get()
    assert SLIHour.objects.get(slo=telemetry, hour=previous).total == 9
    assert SLIDay.objects.get(slo=telemetry, day=floor_day(previous)).total == 9


def test_old_days_are_pruned_with_their_hours(make_slo):
    slo = make_slo()
    fill(slo, steady(AT - timedelta(days=3), AT, 10, 10, step=30))
    buckets.write_hour_minutes(slo, [(AT - HOUR_RETENTION - timedelta(days=1), 5.0, 5.0)],
                               buckets.Merge.ADD)  # fmt: skip
    oldest = floor_day(AT - HOUR_RETENTION - timedelta(days=1))
    assert SLIDay.objects.filter(slo=slo, day=oldest).exists()
    buckets.prune(AT)
    assert not SLIDay.objects.filter(slo=slo, day__lt=floor_day(AT - HOUR_RETENTION)).exists()
    recent = {day: sums for day, sums in hours_by_day(slo).items() if day >= floor_day(AT)}
    assert recent and all(stored_days(slo)[day] == sums for day, sums in recent.items())


def test_migration_0005_fills_days_from_the_hours_already_stored(make_slo):
    slo = make_slo()
    fill(slo, steady(AT - timedelta(days=2, hours=5), AT, 99, 100, step=11))
    expected = stored_days(slo)
    SLIDay.objects.all().delete()
    migration = importlib.import_module("slo.migrations.0005_sli_day")
    migration.fill_days(apps, SimpleNamespace(connection=connection))
    assert stored_days(slo) == expected == hours_by_day(slo)
