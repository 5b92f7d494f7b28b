"""One evaluation tick: collect sources, aggregate every SLO's windows in ONE query, write
snapshots. Nothing here loads bucket rows into Python; only per-SLO sums come back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ingestion import timegrain

from . import buckets, budget, sources, timeline
from .budget import BURN_WINDOWS, Counts
from .models import HOUR_RETENTION, SLO, Budgeting, SLIHour, Snapshot, Window

log = structlog.get_logger(__name__)

SNAPSHOT_FIELDS = [
    "status",
    "sli",
    "good",
    "total",
    "budget_total",
    "budget_consumed",
    "budget_remaining",
    "burn_rates",
    "alerts",
]


@dataclass(frozen=True)
class WindowCounts:
    period: Counts
    windows: dict[str, Counts]
    recent: bool = True  # some minute was written within the no-data silence


# Every window [start, at) is read at the coarsest grain that fits it exactly:
#   minutes [start, first whole hour)  +  hours up to the first whole day  +  whole days
#   + today's hours up to this hour  +  this hour's minutes.
# A 30-day period is then ~30 day rows, ≤ 46 hour rows and its edge minutes, not ~720 hours.
# Windows of whole-hour widths all begin at the same minute of an hour, so the minutes read
# are this hour's and the tails of five earlier hours.
PERIODS = tuple(Window.values)


def _bounds(at: datetime) -> dict[str, Any]:
    at = at.astimezone(UTC)
    hour_at, day_at = timegrain.floor_hour(at), timegrain.floor_day(at)
    params: dict[str, Any] = {"at": at, "hour_at": hour_at, "day_at": day_at}
    params["from_silence"] = at - timedelta(minutes=settings.SIE_SLO_NO_DATA_MINUTES)
    starts = {name: at - width for name, width in BURN_WINDOWS.items()}
    starts.update({f"p{w}": budget.period_start(w, at) for w in PERIODS})
    for name, start in starts.items():
        params[f"from_{name}"] = start
        params[f"hour_{name}"] = timegrain.ceil_hour(start)  # its first whole hour
        params[f"day_{name}"] = timegrain.ceil_day(start)  # its first whole day
    params["scan_from"] = min(params["from_1h"], params["from_silence"])
    params["days_from"] = min(params[f"day_{name}"] for name in starts)
    return {name: buckets.db_time(value) for name, value in params.items()}


def _grains(param: Any) -> str:
    """Rows of `src` inside a window, whose bounds come from `param(kind)`."""
    return (
        f"((src.grain = 0 AND src.ts >= {param('from')}"
        f" AND (src.ts < {param('hour')} OR src.ts >= %(hour_at)s))"
        f" OR (src.grain = 1 AND src.ts >= {param('hour')} AND src.ts < %(hour_at)s"
        f" AND (src.ts < {param('day')} OR src.ts >= %(day_at)s))"
        f" OR (src.grain = 2 AND src.ts >= {param('day')} AND src.ts < %(day_at)s))"
    )


def _window_conditions() -> dict[str, str]:
    conditions = {w: _grains(lambda kind, w=w: f"%({kind}_{w})s") for w in BURN_WINDOWS}
    conditions["silence"] = "(src.grain = 0 AND src.ts >= %(from_silence)s)"

    def per_period(kind: str) -> str:
        whens = " ".join(f"WHEN '{w}' THEN %({kind}_p{w})s" for w in PERIODS)
        return f"CASE src.win {whens} END"

    # A rolling period's first, partial hour is older than any minute row: _period_edges
    # counts it from the minutes its hourly row keeps, so minutes here are this hour's only.
    conditions["period"] = _grains(
        lambda kind: "%(hour_at)s" if kind == "from" else per_period(kind)
    )
    return conditions


def _filter(column: str, slo_ids: list[int] | None) -> str:
    return buckets.slo_filter(column, slo_ids)[0]


def _ranges(column: str, names: list[str], upper: str) -> str:
    """`column` within [first whole hour, first whole day) of each window, below `upper`."""
    return " OR ".join(
        f"({column} >= %(hour_{n})s AND {column} < %(day_{n})s AND {column} < {upper})"
        for n in names
    )


def aggregate_sql(slo_ids: list[int] | None = None) -> str:
    """The tick's one aggregate: per SLO, conditional sums of good/total/rows per window over
    minute, hour and day buckets (timeslice SLOs count slices instead).

    Each bucket row is tested against the window conditions once, giving a bitmask of the
    windows it falls in; rows are summed per (SLO, mask) — a handful of groups per SLO —
    and the per-window sums are taken over those groups."""
    conditions = _window_conditions()
    mask = " + ".join(
        f"CASE WHEN {cond} THEN {1 << i} ELSE 0 END" for i, cond in enumerate(conditions.values())
    )
    sums = [
        f"SUM(CASE WHEN (seg.mask & {1 << i}) <> 0 THEN seg.{column} ELSE 0 END)"
        for i in range(len(conditions))
        for column in ("g", "t", "n")
    ]
    slices = "s.budgeting = 'timeslices'"
    edges = " OR ".join(
        f"(m.minute >= %(from_{w})s AND m.minute < %(hour_{w})s)" for w in ("2h", "6h", "1d", "3d")
    )
    # Rows are fetched for every window's range (one index scan each) and then kept only
    # where the SLO's own period or a burn window reads them.
    own_period = " OR ".join(
        f"(s.window = '{w}' AND h.hour >= %(hour_p{w})s AND h.hour < %(day_p{w})s)" for w in PERIODS
    )
    own_days = (
        "CASE s.window " + " ".join(f"WHEN '{w}' THEN %(day_p{w})s" for w in PERIODS) + " END"
    )
    every_hour_range = _ranges(
        "h.hour", [*BURN_WINDOWS, *(f"p{w}" for w in PERIODS)], "%(hour_at)s"
    )
    return f"""
        WITH src AS (
            SELECT m.slo_id, 0 AS grain, m.minute AS ts, s.window AS win,
                   CASE WHEN {slices} THEN {buckets.SLICE_GOOD_SQL} ELSE m.good END AS g,
                   CASE WHEN {slices} THEN {buckets.SLICE_TOTAL_SQL} ELSE m.total END AS t
            FROM slo_sli_minute m JOIN slo_slo s ON s.id = m.slo_id
            WHERE ((m.minute >= %(scan_from)s AND m.minute < %(at)s) OR {edges})
               {_filter("m.slo_id", slo_ids)}
            UNION ALL
            SELECT h.slo_id, 1, h.hour, s.window,
                   CASE WHEN {slices} THEN h.good_slices ELSE h.good END,
                   CASE WHEN {slices} THEN h.total_slices ELSE h.total END
            FROM slo_sli_hour h JOIN slo_slo s ON s.id = h.slo_id
            WHERE ((h.hour >= %(day_at)s AND h.hour < %(hour_at)s)
                   OR {every_hour_range})
               AND (h.hour >= %(day_at)s OR {_ranges("h.hour", [*BURN_WINDOWS], "%(hour_at)s")}
                    OR {own_period})
               {_filter("h.slo_id", slo_ids)}
            UNION ALL
            SELECT d.slo_id, 2, d.day, s.window,
                   CASE WHEN {slices} THEN d.good_slices ELSE d.good END,
                   CASE WHEN {slices} THEN d.total_slices ELSE d.total END
            FROM slo_sli_day d JOIN slo_slo s ON s.id = d.slo_id
            WHERE d.day >= %(days_from)s AND d.day < %(day_at)s
               AND (d.day >= %(day_3d)s OR d.day >= {own_days})
               {_filter("d.slo_id", slo_ids)}
        ),
        seg AS (
            SELECT src.slo_id, ({mask}) AS mask, SUM(src.g) AS g, SUM(src.t) AS t, COUNT(*) AS n
            FROM src GROUP BY 1, 2
        ),
        agg AS (SELECT seg.slo_id, {", ".join(sums)} FROM seg GROUP BY seg.slo_id)
        SELECT s.id, agg.*
        FROM slo_slo s LEFT JOIN agg ON agg.slo_id = s.id
        WHERE 1 = 1 {_filter("s.id", slo_ids)}
    """


def aggregate(at: datetime, slo_ids: list[int] | None = None) -> dict[int, WindowCounts]:
    """Good/total per window and per budget period for every SLO (or the given ones)."""
    at = at.astimezone(UTC)
    params = {**_bounds(at), **buckets.slo_filter("", slo_ids)[1]}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL's JIT spends ~2 s compiling this aggregate on every tick, more
            # than the whole query then takes; the plan is simple enough without it.
            cursor.execute("SET LOCAL jit = off")
            # 10,000 SLOs make ~200,000 (SLO, window mask) groups: hashed in memory, not
            # spilled to disk in batches as the default 4 MB makes them.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(aggregate_sql(slo_ids), params)
        rows = cursor.fetchall()
    names = [*_window_conditions()]
    result = {}
    for row in rows:
        # row: id, agg.slo_id, then (good, total, buckets) per window; NULLs without rows.
        counts = {
            name: Counts(
                float(row[2 + 3 * i] or 0), float(row[3 + 3 * i] or 0), bool(row[4 + 3 * i])
            )
            for i, name in enumerate(names)
        }
        period, silence = counts.pop("period"), counts.pop("silence")
        if not period.has_data and counts["3d"].has_data:
            # A period that has just begun (a calendar month at 00:00 on the 1st) has no
            # rows yet although the source reports: zero traffic, not "no data".
            period = Counts(0, 0)
        result[row[0]] = WindowCounts(period, counts, silence.has_data)
    for slo_id, edge in _period_edges(at, slo_ids).items():
        if slo_id in result:
            counts = result[slo_id]
            period = Counts(counts.period.good + edge.good, counts.period.total + edge.total)
            result[slo_id] = WindowCounts(period, counts.windows, counts.recent)
    return result


def _edge_starts(at: datetime) -> dict[str, datetime]:
    """Rolling periods that begin inside an hour (at − 30 d = 12:37), by window."""
    starts = {window: budget.period_start(window, at) for window in budget.ROLLING_DAYS}
    return {w: start for w, start in starts.items() if start != timegrain.floor_hour(start)}


def _period_edges(at: datetime, slo_ids: list[int] | None) -> dict[int, Counts]:
    """The first, partial hour of each rolling period (12:37–12:59), summed in SQL from the
    minutes its hourly row keeps. An hour without minutes (Prometheus backfill in hour
    steps) counts pro rata."""
    starts = _edge_starts(at)
    if not starts:
        return {}
    items, minute, good, total = buckets.minute_items_sql()
    slices = "s.budgeting = 'timeslices'"
    parts, params = [], buckets.slo_filter("", slo_ids)[1]
    for window, start in starts.items():
        parts.append(f"""
            SELECT h.slo_id, {good} AS good, {total} AS total
            FROM slo_sli_hour h JOIN slo_slo w ON w.id = h.slo_id, {items}
            WHERE h.hour = %(hour_{window})s AND w.window = '{window}'
              AND {minute} >= %(first_{window})s {_filter("h.slo_id", slo_ids)}""")
        params[f"hour_{window}"] = buckets.db_time(timegrain.floor_hour(start))
        params[f"first_{window}"] = start.minute
    sql = f"""
        SELECT m.slo_id,
               SUM(CASE WHEN {slices} THEN {buckets.SLICE_GOOD_SQL} ELSE m.good END),
               SUM(CASE WHEN {slices} THEN {buckets.SLICE_TOTAL_SQL} ELSE m.total END)
        FROM ({" UNION ALL ".join(parts)}) m JOIN slo_slo s ON s.id = m.slo_id
        GROUP BY m.slo_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        edges = {slo_id: Counts(float(g), float(t)) for slo_id, g, t in cursor.fetchall()}
    for window, start in starts.items():
        edges.update(_pro_rata_edge(window, start, slo_ids))
    return edges


def _pro_rata_edge(window: str, start: datetime, slo_ids: list[int] | None) -> dict[int, Counts]:
    rows = SLIHour.objects.filter(slo__window=window, hour=timegrain.floor_hour(start), minutes={})
    if slo_ids is not None:
        rows = rows.filter(slo_id__in=slo_ids)
    share = (60 - start.minute) / 60
    fields = ("slo_id", "slo__budgeting", "good", "total", "good_slices", "total_slices")
    edges = {}
    for slo_id, budgeting, good, total, good_slices, total_slices in rows.values_list(*fields):
        if budgeting == Budgeting.TIMESLICES:
            edges[slo_id] = Counts(good_slices * share, total_slices * share)
        else:
            edges[slo_id] = Counts(good * share, total * share)
    return edges


def _alerts(slo: SLO, counts: WindowCounts, burn: dict, at: datetime) -> list[budget.Alert]:
    alerts = budget.firing_alerts(burn, budget.period_hours(slo.window, at))
    silence = settings.SIE_SLO_NO_DATA_MINUTES
    # A brand-new SLO has not had the chance to report yet: no alert before `silence` is up.
    if not counts.recent and slo.created_at <= at - timedelta(minutes=silence):
        alerts.append(budget.no_data_alert(silence))
    return alerts


def assess(slo: SLO, counts: WindowCounts, at: datetime) -> Snapshot:
    """The SRE Workbook arithmetic for one SLO, as an unsaved snapshot."""
    objective = slo.objective
    burn = {w: budget.burn_rate(c, objective) for w, c in counts.windows.items()}
    alerts = _alerts(slo, counts, burn, at)
    remaining = budget.budget_remaining(counts.period, objective)
    return Snapshot(
        slo=slo,
        evaluated_at=at,
        status=budget.status(counts.period, remaining, alerts),
        sli=budget.sli(counts.period),
        good=counts.period.good,
        total=counts.period.total,
        budget_total=budget.error_budget(objective),
        budget_consumed=budget.budget_consumed(counts.period, objective),
        budget_remaining=remaining,
        burn_rates=burn,
        alerts=[alert.as_dict() for alert in alerts],
    )


def compute(at: datetime, slo_ids: list[int] | None = None) -> list[Snapshot]:
    """Read-only: snapshots as of `at` from the buckets already stored."""
    slos = SLO.objects.select_related("service")
    if slo_ids is not None:
        slos = slos.filter(pk__in=slo_ids)
    counts = aggregate(at, slo_ids)
    snapshots = []
    for slo in slos:
        if slo.pk not in counts:
            continue
        try:
            snapshots.append(assess(slo, counts[slo.pk], at))
        except (ArithmeticError, KeyError, TypeError, ValueError):
            # One row no code path can handle (a bad import, a hand edit) must not stop
            # every other SLO from being evaluated: log it and go on.
            log.exception("slo not evaluated", slo_id=slo.pk)
    return snapshots


def store(snapshots: list[Snapshot]) -> None:
    """Upsert: re-evaluating a moment overwrites its snapshot (ticks and replays alike)."""
    if connection.vendor == "postgresql":
        _store_recordset(snapshots)
        return
    Snapshot.objects.bulk_create(
        snapshots,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["slo", "evaluated_at"],
        update_fields=SNAPSHOT_FIELDS,
    )


# PostgreSQL: one statement over one JSON document of the rows. 10,000 snapshots took 1.0 s
# as bulk_create's ten 11,000-parameter statements and 0.6 s as column arrays (psycopg
# escapes each JSON text in an array one by one); as one JSON text, ~0.2 s (bench/slo_eval.py).
_COLUMNS = {
    "slo_id": "bigint",
    "evaluated_at": "timestamptz",
    "status": "text",
    "sli": "float8",
    "good": "float8",
    "total": "float8",
    "budget_total": "float8",
    "budget_consumed": "float8",
    "budget_remaining": "float8",
    "burn_rates": "jsonb",
    "alerts": "jsonb",
}
_RECORDSET_SQL = f"""
    INSERT INTO {Snapshot._meta.db_table} ({", ".join(_COLUMNS)})
    SELECT {", ".join(f"r.{column}" for column in _COLUMNS)}
    FROM jsonb_to_recordset(%s::jsonb) AS r({", ".join(f"{c} {t}" for c, t in _COLUMNS.items())})
    ON CONFLICT (slo_id, evaluated_at) DO UPDATE SET
    {", ".join(f"{field} = excluded.{field}" for field in SNAPSHOT_FIELDS)}
"""


def _store_recordset(snapshots: list[Snapshot]) -> None:
    rows = [
        {
            "slo_id": snap.slo_id,
            "evaluated_at": snap.evaluated_at.isoformat(),
            **{field: getattr(snap, field) for field in SNAPSHOT_FIELDS},
        }
        for snap in snapshots
    ]
    with connection.cursor() as cursor:
        cursor.execute(_RECORDSET_SQL, [json.dumps(rows)])


def prune_snapshots(at: datetime) -> None:
    """Per-minute snapshots live SIE_SLO_SNAPSHOT_RETENTION_DAYS; those on the hour (Beat's
    and replays') as long as the hourly buckets, so the status history covers a backfill."""
    retention = timedelta(days=settings.SIE_SLO_SNAPSHOT_RETENTION_DAYS)
    old = Snapshot.objects.filter(evaluated_at__lt=at - retention)
    old.exclude(evaluated_at__minute=0).delete()
    Snapshot.objects.filter(evaluated_at__lt=at - HOUR_RETENTION).delete()


def replay(start: datetime, end: datetime, step: timedelta) -> int:
    """Evaluate every SLO at start, start + step, … end from the stored buckets and store
    the snapshots (idempotent); no source is read. Each SLO's history is read once as a
    per-minute timeline, so moments whose minute rows are pruned are exact too (from the
    minutes the hourly buckets keep). Returns the moments evaluated."""
    if step < timedelta(minutes=1) or end < start:
        raise ValueError("replay needs --from ≤ --to and a step of at least a minute")
    start, end = timegrain.floor_minute(start).astimezone(UTC), end.astimezone(UTC)
    moments = [start + i * step for i in range(int((end - start) / step) + 1)]
    for slo in SLO.objects.select_related("service").order_by("pk"):
        origin = min(budget.period_start(slo.window, start), start - BURN_WINDOWS["3d"])
        history = timeline.load_history(slo, timegrain.floor_minute(origin), moments[-1])
        snapshots = []
        for at in moments:
            try:
                snapshots.append(assess(slo, _timeline_counts(history, slo, at), at))
            except (ArithmeticError, KeyError, TypeError, ValueError):
                log.exception("slo not replayed", slo_id=slo.pk, at=at.isoformat())
                break
        with transaction.atomic():
            store(snapshots)
    log.info("slo replay", start=start.isoformat(), end=end.isoformat(), moments=len(moments))
    return len(moments)


def _timeline_counts(history: timeline.History, slo: SLO, at: datetime) -> WindowCounts:
    """The same windows as `aggregate`, summed from a timeline instead of SQL."""
    k = history.index(at)

    def since(moment: datetime) -> Counts:
        good, total, seen = history.sums(k, k - history.index(moment))
        return Counts(good, total, seen > 0)

    windows = {name: since(at - width) for name, width in BURN_WINDOWS.items()}
    period = since(budget.period_start(slo.window, at))
    if not period.has_data and windows["3d"].has_data:
        period = Counts(0, 0)
    recent = since(at - timedelta(minutes=settings.SIE_SLO_NO_DATA_MINUTES)).has_data
    return WindowCounts(period, windows, recent)


def evaluate_all(at: datetime | None = None) -> list[Snapshot]:
    """A Beat tick: collect every source up to `at` (default: this minute), evaluate every
    SLO and store one snapshot each (re-running the same minute overwrites). Pruning is the
    hourly `slo.prune` task's: deleting an hour of 10,000 SLOs' minutes (600,000 rows) inside
    a tick would double that tick."""
    now = timezone.now()
    # In UTC: an offset such as +05:30 would otherwise put hourly roll-ups at :30.
    at = timegrain.floor_minute(at or now).astimezone(UTC)
    sources.collect(at, now)
    snapshots = compute(at)
    with transaction.atomic():
        store(snapshots)
    by_status: dict[str, int] = {}
    for snap in snapshots:
        by_status[snap.status] = by_status.get(snap.status, 0) + 1
    log.info("slo tick", at=at.isoformat(), slos=len(snapshots), **by_status)
    return snapshots


def prune(at: datetime | None = None) -> None:
    """Drop buckets no window reads any more and snapshots past their retention."""
    at = timegrain.floor_minute(at or timezone.now()).astimezone(UTC)
    with transaction.atomic():
        buckets.prune(at)
        prune_snapshots(at)
