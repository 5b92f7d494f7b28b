"""Writing SLI buckets: minute upserts, hourly roll-ups and retention, all set-based SQL.

`INSERT … ON CONFLICT … DO UPDATE` reads the same on PostgreSQL and SQLite (≥ 3.24), so one
statement serves both; several processes adding into the same minute never lose a count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from django.db import connection

from ingestion.timegrain import DAY, floor_day, floor_hour

from .models import HOUR_RETENTION, MINUTE_RETENTION, REQUEST_RETENTION, SLO, SLIHour

CHUNK = 500  # rows per statement: 4 params each stays far below SQLite's variable limit

# A minute counts as a good timeslice when good/total reaches the slice target (default: the
# objective). Compared in parts per million so 999/1000 against 99.9 % is not lost to
# floating-point error (0.999 * 1000 = 999.0000000000001).
SLICE_GOOD_SQL = (
    "CASE WHEN m.total > 0 AND m.good * 1000000 >= "
    "ROUND(COALESCE(s.timeslice_target, s.objective / 100.0) * 1000000) * m.total "
    "THEN 1 ELSE 0 END"
)
SLICE_TOTAL_SQL = "CASE WHEN m.total > 0 THEN 1 ELSE 0 END"


class Merge(Enum):
    ADD = (
        "good = slo_sli_minute.good + excluded.good, total = slo_sli_minute.total + excluded.total"
    )
    REPLACE = "good = excluded.good, total = excluded.total"
    KEEP = ""


def db_time(value: datetime) -> Any:
    """A datetime as the backend stores it (SQLite compares text, so formats must match)."""
    return connection.ops.adapt_datetimefield_value(value)


def write_minutes(rows: Sequence[tuple[int, datetime, float, float]], merge: Merge) -> None:
    """Upsert (slo_id, minute, good, total) rows: add to, replace, or keep existing counts."""
    conflict = f"DO UPDATE SET {merge.value}" if merge.value else "DO NOTHING"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for slo_id, minute, good, total in chunk:
                params += [slo_id, db_time(minute), good, total]
            cursor.execute(
                "INSERT INTO slo_sli_minute (slo_id, minute, good, total) "
                f"VALUES {values} ON CONFLICT (slo_id, minute) {conflict}",
                params,
            )


def _minutes_json_sql() -> str:
    """The hour's minutes as {"37": [good, total]}, in each backend's JSON aggregate."""
    if connection.vendor == "postgresql":
        return (
            "jsonb_object_agg(EXTRACT(MINUTE FROM m.minute)::int::text,"
            " jsonb_build_array(m.good, m.total))"
        )
    return (
        "json_group_object(CAST(CAST(substr(m.minute, 15, 2) AS INTEGER) AS TEXT),"
        " json_array(m.good, m.total))"
    )


def minute_items_sql() -> tuple[str, str, str, str]:
    """(FROM item, minute, good, total) over the minutes an hourly row `h` keeps, one row per
    minute, in each backend's JSON table function."""
    if connection.vendor == "postgresql":
        return (
            "jsonb_each(h.minutes) AS e",
            "(e.key)::int",
            "(e.value->>0)::float8",
            "(e.value->>1)::float8",
        )
    return (
        "json_each(h.minutes) AS e",
        "CAST(e.key AS INTEGER)",
        "json_extract(e.value, '$[0]')",
        "json_extract(e.value, '$[1]')",
    )


def roll_up_hours(hours: Iterable[datetime], slo_ids: Sequence[int] | None = None) -> None:
    """Recompute the hourly roll-ups of these hours from their minutes (idempotent)."""
    only, params = slo_filter("m.slo_id", slo_ids)
    sql = f"""
        INSERT INTO slo_sli_hour (slo_id, hour, good, total, good_slices, total_slices, minutes)
        SELECT m.slo_id, %(hour)s, SUM(m.good), SUM(m.total),
               SUM({SLICE_GOOD_SQL}), SUM({SLICE_TOTAL_SQL}), {_minutes_json_sql()}
        FROM slo_sli_minute m JOIN slo_slo s ON s.id = m.slo_id
        WHERE m.minute >= %(hour)s AND m.minute < %(next)s {only}
        GROUP BY m.slo_id
        ON CONFLICT (slo_id, hour) DO UPDATE SET good = excluded.good, total = excluded.total,
            good_slices = excluded.good_slices, total_slices = excluded.total_slices,
            minutes = excluded.minutes
    """
    hours = set(hours)
    with connection.cursor() as cursor:
        for hour in sorted(hours):
            hour_params = {"hour": db_time(hour), "next": db_time(hour + timedelta(hours=1))}
            cursor.execute(sql, {**params, **hour_params})
    roll_up_days(hours, slo_ids)


def slo_filter(column: str, slo_ids: Sequence[int] | None) -> tuple[str, dict[str, Any]]:
    """`AND column IN (…)` over named parameters, and those parameters ("" and {} for all)."""
    if slo_ids is None:
        return "", {}
    names = [f"slo{i}" for i in range(len(slo_ids))]
    sql = f"AND {column} IN (" + ", ".join(f"%({name})s" for name in names) + ")"
    return sql, dict(zip(names, slo_ids, strict=True))


def roll_up_days(hours: Iterable[datetime], slo_ids: Sequence[int] | None = None) -> None:
    """Recompute the daily roll-ups of the days these hours fall in (idempotent). Every
    path that writes hourly rows calls it, so a day is always the sum of its hours."""
    only, params = slo_filter("h.slo_id", slo_ids)
    sql = f"""
        INSERT INTO slo_sli_day (slo_id, day, good, total, good_slices, total_slices)
        SELECT h.slo_id, %(day)s, SUM(h.good), SUM(h.total),
               SUM(h.good_slices), SUM(h.total_slices)
        FROM slo_sli_hour h
        WHERE h.hour >= %(day)s AND h.hour < %(next)s {only}
        GROUP BY h.slo_id
        ON CONFLICT (slo_id, day) DO UPDATE SET good = excluded.good, total = excluded.total,
            good_slices = excluded.good_slices, total_slices = excluded.total_slices
    """
    with connection.cursor() as cursor:
        for day in sorted({floor_day(hour) for hour in hours}):
            cursor.execute(sql, {**params, "day": db_time(day), "next": db_time(day + DAY)})


def minute_cutoff(at: datetime) -> datetime:
    """Minutes before this hour are pruned (whole hours only: an hour's roll-up is never
    recomputed from some of its minutes), and counts for them go straight into hours."""
    return floor_hour(at - MINUTE_RETENTION)


def write_hour_minutes(
    slo: SLO, rows: Sequence[tuple[datetime, float, float]], merge: Merge
) -> set[datetime]:
    """Add or replace (minute, good, total) in the hours of minutes already pruned: each
    hour is locked, its minutes merged, and its sums recomputed from them — exactly the
    roll-up the minutes would have given. Returns the hours written."""
    per_hour: dict[datetime, list[tuple[datetime, float, float]]] = defaultdict(list)
    for row in rows:
        per_hour[floor_hour(row[0])].append(row)
    if not per_hour:
        return set()
    locked = SLIHour.objects.select_for_update().filter(slo=slo, hour__in=list(per_hour))
    existing = {hour.hour: hour for hour in locked.order_by("hour")}
    target, written = slo.slice_target, []
    for hour, minutes in sorted(per_hour.items()):
        row = existing.get(hour) or SLIHour(slo=slo, hour=hour)
        detail = dict(row.minutes)
        for minute, good, total in minutes:
            key = str(minute.minute)
            old = detail.get(key, [0.0, 0.0]) if merge is Merge.ADD else [0.0, 0.0]
            detail[key] = [old[0] + good, old[1] + total]
        row.minutes = detail
        row.good = sum(g for g, _ in detail.values())
        row.total = sum(t for _, t in detail.values())
        row.good_slices, row.total_slices = row.slices(target)
        written.append(row)
    SLIHour.objects.bulk_create(
        written,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["slo", "hour"],
        update_fields=["good", "total", "good_slices", "total_slices", "minutes"],
    )
    roll_up_days(per_hour, [slo.pk])
    return set(per_hour)


def prune(at: datetime) -> None:
    """Drop buckets no window can read any more (each DELETE walks a time index)."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM slo_sli_minute WHERE minute < %s", [db_time(minute_cutoff(at))])
        cursor.execute("DELETE FROM slo_sli_hour WHERE hour < %s", [db_time(at - HOUR_RETENTION)])
        # A day goes with its first pruned hour: a day is never recomputed from part of it.
        cursor.execute(
            "DELETE FROM slo_sli_day WHERE day < %s", [db_time(floor_day(at - HOUR_RETENTION))]
        )
        cursor.execute(
            "DELETE FROM slo_request_bucket WHERE minute < %s", [db_time(at - REQUEST_RETENTION)]
        )
