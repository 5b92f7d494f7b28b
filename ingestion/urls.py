from __future__ import annotations

from django.urls import path

from . import probes, views

urlpatterns = [
    path("health", probes.health, name="health"),
    path("ready", probes.ready, name="ready"),
    path("ingest", views.IngestView.as_view(), name="ingest"),
    path("api/v1/ingest", views.IngestView.as_view(), name="api-ingest"),
    path("insights", views.InsightsView.as_view(), name="insights"),
    path("api/v1/insights", views.InsightsView.as_view(), name="api-insights"),
    path("api/v1/mentions", views.MentionListView.as_view(), name="api-mentions"),
]
