"""Plotly figure dicts for the capacity page (see figures.py for why plain dicts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import planner

TIER_COLOURS = {"starter": "#8c959f", "pro": "#0969da", "enterprise": "#8250df"}


def throughput(recent: dict[str, dict[datetime, int]]) -> dict[str, Any]:
    """Mentions/s per minute per tier, with each tier's peak target as a dashed line."""
    traces: list[dict[str, Any]] = []
    for tier in planner.PLAN_TIERS:
        series = sorted(recent.get(tier.name, {}).items())
        colour = TIER_COLOURS[tier.name]
        traces.append({"type": "scatter", "mode": "lines+markers", "name": tier.name,
                       "x": [m for m, _ in series], "y": [n / 60 for _, n in series],
                       "line": {"color": colour}})  # fmt: skip
    shapes = [
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": t.peak_rps, "y1": t.peak_rps,
         "line": {"color": TIER_COLOURS[t.name], "dash": "dash", "width": 1},
         "label": {"text": f"{t.name} target {t.peak_rps:g}/s", "textposition": "end",
                   "font": {"size": 10}}}
        for t in planner.PLAN_TIERS
    ]  # fmt: skip
    layout = {"title": {"text": "Ingested mentions/s per tier (last hour)", "font": {"size": 14}},
              "height": 300, "margin": {"l": 50, "r": 20, "t": 40, "b": 40}, "shapes": shapes,
              "yaxis": {"type": "log", "title": {"text": "mentions/s"}},
              "legend": {"orientation": "h", "y": -0.2}}  # fmt: skip
    return {"data": traces, "layout": layout}


def workers(enriched: list[tuple[datetime, int, float]]) -> dict[str, Any]:
    """Worker throughput (enriched/s) and mean enrichment lag per minute."""
    x = [m for m, _, _ in enriched]
    return {
        "data": [
            {"type": "bar", "name": "enriched mentions/s", "x": x,
             "y": [n / 60 for _, n, _ in enriched], "marker": {"color": "#1a7f37"}},
            {"type": "scatter", "mode": "lines+markers", "name": "mean lag (s)", "x": x,
             "y": [lag for _, _, lag in enriched], "yaxis": "y2",
             "line": {"color": "#cf222e"}},
        ],
        "layout": {"title": {"text": "Worker throughput and enrichment lag (last hour)",
                             "font": {"size": 14}},
                   "height": 300, "margin": {"l": 50, "r": 50, "t": 40, "b": 40},
                   "yaxis": {"title": {"text": "enriched/s"}},
                   "yaxis2": {"title": {"text": "lag s"}, "overlaying": "y", "side": "right"},
                   "legend": {"orientation": "h", "y": -0.2}},
    }  # fmt: skip


def figures(recent: dict[str, dict[datetime, int]],
            enriched: list[tuple[datetime, int, float]]) -> dict[str, Any]:  # fmt: skip
    return {"throughput": throughput(recent), "workers": workers(enriched)}
