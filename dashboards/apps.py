from __future__ import annotations

from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """Read-only SRE pages (SLO overview/detail, capacity, incidents) drawn with Plotly."""

    name = "dashboards"
    default_auto_field = "django.db.models.BigAutoField"
