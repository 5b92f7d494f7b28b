"""Inline SVG sparklines for the overview table.

A thousand Plotly graphs would cost the browser seconds; a polyline computed on the server is
a few hundred bytes per row and renders instantly, while the page's one Plotly chart carries
the interactive part.
"""

from __future__ import annotations

WIDTH, HEIGHT = 120, 24


def points(values: list[float | None], low: float | None = None, high: float = 1.0) -> str:
    """SVG polyline points for values (None skipped) scaled into WIDTH × HEIGHT."""
    present = [(i, v) for i, v in enumerate(values) if v is not None]
    if not present:
        return ""
    floor = min(0.0, min(v for _, v in present)) if low is None else low
    span = max(high - floor, 1e-9)
    step = WIDTH / max(len(values) - 1, 1)
    coords = []
    for i, value in present:
        y = HEIGHT - (min(max(value, floor), high) - floor) / span * HEIGHT
        coords.append(f"{i * step:.1f},{y:.1f}")
    return " ".join(coords)
