from __future__ import annotations

from django.urls import path

from . import incident_views, views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("slo/", views.slo_overview, name="slo-overview"),
    path("slo/<int:slo_id>/", views.slo_detail, name="slo-detail"),
    path("capacity/", views.capacity_page, name="capacity"),
    path("incidents/", incident_views.incident_list, name="incidents"),
    path("incidents/<int:incident_id>/", incident_views.incident_detail, name="incident"),
    path("incidents/<int:incident_id>/<str:action>/", incident_views.incident_action,
         name="incident-action"),  # fmt: skip
]
