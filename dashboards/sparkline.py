"""Inline SVG sparklines for the overview table.

A thousand Plotly graphs would cost the browser seconds; a polyline computed on the server is
a few hundred bytes per row and renders instantly, while the page's one Plotly chart carries
the interactive part.
"""

from __future__ import annotations

WIDTH, HEIGHT = 120, 24


def points(values: list[float | None], low: float | None = None, high: float = 1.0) -> str:
    """SVG polyline points for values (None skipped) scaled into WIDTH × HEIGHT."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    if len(present) == 1:  # one evaluation so far: a level line, since a point draws nothing
        values = [present[0], present[0]]
    floor = min(0.0, min(present)) if low is None else low
    scale = HEIGHT / max(high - floor, 1e-9)
    step = WIDTH / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{HEIGHT - (min(v, high) - floor) * scale:.1f}"
        for i, v in enumerate(values)
        if v is not None
    )
