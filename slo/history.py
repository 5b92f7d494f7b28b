"""History: loading past counts into an SLO's buckets — files of pushed events
(`import_slo_events`) and Prometheus `query_range` in hour steps (`backfill_slo`).

Both write through the same paths as live data (minutes while they are kept, then exact
hourly buckets), so a replay (`evaluate_slos --from --to`) and a backtest read one history.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.db import transaction

from ingestion.timegrain import ceil_hour, floor_hour

from . import budget
from .buckets import Merge, roll_up_days
from .models import HOUR_RETENTION, SLO, SLIHour, Source
from .serializers import EventSerializer
from .sources import Event, PrometheusError, promql, record_events

BATCH = 5_000  # events per write: bounded memory and statement size for big files
HOUR = timedelta(hours=1)


class HistoryError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def find_slo(ref: str) -> SLO:
    """An SLO by id or by "service/name"."""
    service, _, name = ref.partition("/")
    slos = SLO.objects.select_related("service")
    found = (
        slos.filter(pk=int(ref)) if ref.isdigit() else slos.filter(service__name=service, name=name)
    )
    slo = found.first()
    if slo is None:
        raise HistoryError([f"no SLO {ref!r} (give its id or service/name)"])
    return slo


def read_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, raw event) from a CSV with a timestamp,good,total header, or JSONL."""
    with path.open(newline="") as handle:
        if path.suffix.lower() == ".csv":
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield number, row
            return
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except ValueError as exc:
                    yield number, {"_error": f"not JSON ({exc})"}


def _problem(number: int, errors: Any) -> str:
    if isinstance(errors, dict):
        parts = [f"{field}: {' '.join(map(str, msgs))}" for field, msgs in errors.items()]
        return f"line {number}: " + "; ".join(parts)
    return f"line {number}: {errors}"


def validate_file(slo: SLO, path: Path, limit: int = 20) -> list[Event]:
    """Every event of the file, validated as the push API does; raises HistoryError with
    the first `limit` problems (by line) when any line is bad, so nothing is half-imported."""
    events, problems = [], []
    context = {"history_days": slo.history_days}
    for number, raw in read_rows(path):
        if not isinstance(raw, dict) or "_error" in raw:
            problems.append(_problem(number, raw.get("_error") if isinstance(raw, dict) else raw))
            continue
        checked = EventSerializer(data=raw, context=context)
        if checked.is_valid():
            events.append(Event(**checked.validated_data))
        else:
            problems.append(_problem(number, checked.errors))
    if problems:
        raise HistoryError(
            problems[:limit] + ([f"… {len(problems)} bad lines"] * (len(problems) > limit))
        )
    return events


def import_events(
    slo: SLO, events: list[Event], merge: Merge, progress: Callable[[int], None] | None = None
) -> int:
    """Write validated events in batches, all in one transaction; returns minutes touched."""
    minutes = 0
    with transaction.atomic():
        for start in range(0, len(events), BATCH):
            batch = events[start : start + BATCH]
            minutes += record_events(slo, batch, merge)
            if progress:
                progress(len(batch))
    return minutes


# --- Prometheus backfill ----------------------------------------------------------------------


def query_range(base_url: str, query: str, start: datetime, end: datetime) -> dict[datetime, float]:
    """Values of a range query in hour steps, summed over the series, by timestamp."""
    params = {"query": query, "start": start.timestamp(), "end": end.timestamp(), "step": 3600}
    try:
        response = requests.get(
            f"{base_url}/api/v1/query_range", params=params, timeout=settings.SIE_PROMETHEUS_TIMEOUT
        )
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise PrometheusError(f"{base_url}: {exc}") from exc
    if body.get("status") != "success":
        raise PrometheusError(f"{body.get('errorType')}: {body.get('error')}")
    if body["data"]["resultType"] != "matrix":
        raise PrometheusError(f"expected a matrix, got {body['data']['resultType']}")
    values: dict[datetime, float] = {}
    for series in body["data"]["result"]:
        for stamp, value in series["values"]:
            at = datetime.fromtimestamp(float(stamp), tz=UTC)
            values[at] = values.get(at, 0.0) + float(value)
    return values


def backfill_prometheus(slo: SLO, start: datetime, end: datetime) -> int:
    """Hourly buckets of a Prometheus SLO for the whole hours in [start, end), from the good
    and total queries over `$window` = 1h read with `query_range` in hour steps (the value
    at t is the hour before t). Hours that already keep minutes (live data) are left alone;
    an hour either query has no value for stays empty. Returns the hours written."""
    if slo.source != Source.PROMETHEUS:
        raise HistoryError([f"{slo} reads {slo.source}; backfill_slo reads Prometheus"])
    if end - start > HOUR_RETENTION:
        raise HistoryError([f"at most {HOUR_RETENTION.days} days at a time (the hourly retention)"])
    first, last = ceil_hour(start) + HOUR, floor_hour(end)  # query times: ends of hours
    if last < first:
        return 0
    base_url = settings.SIE_PROMETHEUS_URL
    good = query_range(base_url, promql(slo.good_query, "1h"), first, last)
    total = query_range(base_url, promql(slo.total_query, "1h"), first, last)
    live = set(
        SLIHour.objects.filter(slo=slo, hour__gte=first - HOUR, hour__lt=last)
        .exclude(minutes={})
        .values_list("hour", flat=True)
    )
    hours = []
    for at in sorted(set(good) & set(total)):
        if at - HOUR in live:
            continue
        count = max(total[at], 0.0)
        hours.append(_backfilled_hour(slo, at - HOUR, min(max(good[at], 0.0), count), count))
    SLIHour.objects.bulk_create(
        hours,
        update_conflicts=True,
        unique_fields=["slo", "hour"],
        update_fields=["good", "total", "good_slices", "total_slices", "minutes"],
    )
    roll_up_days([hour.hour for hour in hours], [slo.pk])
    return len(hours)


def _backfilled_hour(slo: SLO, hour: datetime, good: float, total: float) -> SLIHour:
    # An hour step cannot see single minutes: for timeslices its 60 slices are judged by the
    # hour's own ratio (all good or all bad) — documented as the resolution of a backfill.
    slice_good = budget.timeslice(good, total, float(slo.slice_target)).good if total else 0
    slices = 60 if total else 0
    return SLIHour(
        slo=slo, hour=hour, good=good, total=total,
        good_slices=slice_good * slices, total_slices=slices, minutes={},
    )  # fmt: skip
