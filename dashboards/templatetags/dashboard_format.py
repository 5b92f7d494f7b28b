"""Number formats shared by the dashboard templates."""

from __future__ import annotations

from django import template

from dashboards import forecast

register = template.Library()


@register.filter
def pct(value: float | str | None, digits: int = 2) -> str:
    """0.99953 → '99.95%'; None → '–'."""
    return "–" if value is None or value == "" else f"{value * 100:.{digits}f}%"


@register.filter
def burn(value: float | str | None) -> str:
    return "–" if value is None or value == "" else f"{value:.2f}×"


@register.filter
def raw(value: float | str | None) -> str:
    """Full precision for data-* attributes the browser tests compare with the API; '' for
    no value (None, or what a template makes of a missing attribute)."""
    return "" if value is None or value == "" else repr(float(value))


@register.filter
def ms(value: float | None) -> str:
    """CPU seconds per unit as milliseconds: 0.00231 → '2.31'."""
    return "–" if value is None else f"{value * 1000:.2f}"


@register.filter
def hours(value: float | None) -> str:
    return forecast.humanize_hours(value)


@register.filter
def label(value: str) -> str:
    return value.replace("_", " ")
