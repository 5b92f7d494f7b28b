"""Plotly figures as plain dicts (the plotly.js JSON schema), drawn by the static plotly.js.

Plain dicts instead of plotly.graph_objects: building and validating graph objects costs
milliseconds per figure, and the detail page must render in well under 200 ms.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slo import budget

from . import forecast
from .detail import History
from .overview import Row

STATUS_COLOURS = {"ok": "#1a7f37", "at_risk": "#bf8700", "breached": "#cf222e",
                  "no_data": "#8c959f"}  # fmt: skip
WINDOW_COLOURS = {"5m": "#d0d7de", "30m": "#a5d6ff", "1h": "#0969da", "2h": "#bf8700",
                  "6h": "#8250df", "1d": "#cf222e", "3d": "#1a7f37"}  # fmt: skip
Figure = dict[str, Any]


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout = {
        "title": {"text": title, "font": {"size": 14}},
        "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
        "height": 280,
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
    }
    layout.update(extra)
    return layout


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100.0, 6)


def overview_scatter(rows: list[Row]) -> Figure:
    """Budget remaining against the 1h burn rate, one marker per SLO, coloured by status."""
    traces = []
    for status, colour in STATUS_COLOURS.items():
        mine = [r for r in rows if r.status == status and r.snapshot is not None]
        traces.append({
            "type": "scattergl" if len(rows) > 200 else "scatter",
            "mode": "markers",
            "name": status.replace("_", " "),
            "x": [r.snapshot.burn_rates.get("1h") for r in mine],
            "y": [_pct(r.remaining) for r in mine],
            "text": [str(r.slo) for r in mine],
            "customdata": [r.slo.pk for r in mine],
            "marker": {"color": colour, "size": 8},
            "hovertemplate": "%{text}<br>burn 1h %{x:.2f}×<br>budget %{y:.1f}%<extra></extra>",
        })  # fmt: skip
    return {
        "data": traces,
        "layout": _layout(
            "Budget remaining vs 1h burn rate (click a point to open the SLO)",
            xaxis={"title": {"text": "burn rate 1h (×)"}, "rangemode": "tozero"},
            yaxis={"title": {"text": "budget remaining %"}},
            hovermode="closest",
        ),
    }


def sli_figure(h: History) -> Figure:
    times = [s.evaluated_at for s in h.snapshots]
    objective = h.slo.objective_percent
    return {
        "data": [
            {"type": "scatter", "mode": "lines", "name": "SLI over the period",
             "x": times, "y": [_pct(s.sli) for s in h.snapshots], "line": {"color": "#0969da"}},
            {"type": "scatter", "mode": "lines", "name": f"objective {objective}%",
             "x": [h.start, h.end], "y": [objective, objective],
             "line": {"color": "#cf222e", "dash": "dash"}},
        ],  # fmt: skip
        "layout": _layout("SLI %", yaxis={"ticksuffix": "%"}),
    }


def burndown_figure(h: History) -> Figure:
    """Budget remaining with Sloth's dashed ideal line: a calendar month spent evenly reaches
    0 at its end; a rolling window has no end, so its line spends at burn rate 1 from where
    the range starts."""
    ideal_x = [max(h.start, h.period_start), h.end]
    if h.slo.window == budget.CALENDAR_MONTH or not h.snapshots:
        ideal = [forecast.ideal_remaining(h.period_start, h.period_end, t) for t in ideal_x]
    else:
        first = h.snapshots[0]
        period = (h.period_end - h.period_start).total_seconds() / 3600.0
        start_value = first.budget_remaining if first.budget_remaining is not None else 1.0
        ideal_x = [first.evaluated_at, h.end]
        ideal = [forecast.steady_spend(start_value, ideal_x[0], t, period) for t in ideal_x]
    return {
        "data": [
            {"type": "scatter", "mode": "lines", "name": "budget remaining",
             "x": [s.evaluated_at for s in h.snapshots],
             "y": [_pct(s.budget_remaining) for s in h.snapshots],
             "fill": "tozeroy", "line": {"color": "#1a7f37"}},
            {"type": "scatter", "mode": "lines", "name": "ideal burn-down",
             "x": ideal_x, "y": [_pct(v) for v in ideal],
             "line": {"color": "#57606a", "dash": "dash"}},
        ],  # fmt: skip
        "layout": _layout("Error budget remaining %", yaxis={"ticksuffix": "%"}),
    }


def burn_figure(h: History, incidents: list[tuple[datetime, str]]) -> Figure:
    """Burn rates per window, the page/ticket thresholds as dashed lines, and markers where
    an alert fired or an incident opened."""
    traces = [
        {"type": "scatter", "mode": "lines", "name": window,
         "x": [s.evaluated_at for s in h.snapshots],
         "y": [s.burn_rates.get(window) for s in h.snapshots],
         "line": {"color": WINDOW_COLOURS[window], "width": 1.5}}
        for window in budget.BURN_WINDOWS
    ]  # fmt: skip
    shapes = [_threshold_line(row.threshold, row.severity) for row in h.alert_rows]
    fired = [s for s in h.snapshots if s.alerts]
    traces.append({
        "type": "scatter", "mode": "markers", "name": "alert firing",
        "x": [s.evaluated_at for s in fired],
        "y": [max(a["threshold"] for a in s.alerts) for s in fired],
        "text": [", ".join(f"{a['severity']} {'/'.join(a['windows'])}" for a in s.alerts)
                 for s in fired],
        "marker": {"symbol": "triangle-up", "size": 9, "color": "#cf222e"},
    })  # fmt: skip
    for opened_at, label in incidents:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": opened_at,
                       "x1": opened_at, "y0": 0, "y1": 1,
                       "line": {"color": "#8250df", "width": 2}, "name": label})  # fmt: skip
    return {"data": traces, "layout": _layout("Burn rate (×)", shapes=shapes)}


def _threshold_line(threshold: float, severity: str) -> dict[str, Any]:
    return {
        "type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": threshold, "y1": threshold,
        "line": {"color": "#cf222e" if severity == "page" else "#bf8700", "dash": "dot",
                 "width": 1},
        "label": {"text": f"{severity} {threshold:g}×", "textposition": "end",
                  "font": {"size": 10}},
    }  # fmt: skip


def traffic_figure(h: History) -> Figure:
    return {
        "data": [
            {"type": "bar", "name": "events", "x": [t for t, _, _ in h.traffic],
             "y": [total for _, total, _ in h.traffic], "marker": {"color": "#a5d6ff"}},
            {"type": "bar", "name": "bad events", "x": [t for t, _, _ in h.traffic],
             "y": [bad for _, _, bad in h.traffic], "marker": {"color": "#cf222e"}},
        ],  # fmt: skip
        "layout": _layout("Requests and errors per interval", barmode="overlay"),
    }
