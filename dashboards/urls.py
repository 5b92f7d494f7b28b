from __future__ import annotations

from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("slo/", views.slo_overview, name="slo-overview"),
    path("slo/<int:slo_id>/", views.slo_detail, name="slo-detail"),
    path("capacity/", views.capacity_page, name="capacity"),
]
