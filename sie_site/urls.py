from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from sie_site.metrics_view import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("runbooks/", include("runbooks.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("", RedirectView.as_view(pattern_name="dashboards:slo-overview"), name="home"),
    path("api/v1/", include("runbooks.api")),
    path("", include("slo.urls")),
    path("", include("incidents.urls")),
    path("", include("ingestion.urls")),
]

# The API's error envelope for Django's own 400/404/500 answers (issue 10).
handler400 = "sie_site.errors.bad_request"
handler404 = "sie_site.errors.page_not_found"
handler500 = "sie_site.errors.server_error"
