from __future__ import annotations

from django.urls import include, path

from . import views
from .api import router

urlpatterns = [
    path("integrations/pagerduty/webhook", views.pagerduty_webhook, name="pagerduty-webhook"),
    path("integrations/alertmanager", views.alertmanager_receiver, name="alertmanager"),
    path("api/v1/", include(router.urls)),
]
