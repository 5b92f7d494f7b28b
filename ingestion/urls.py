from __future__ import annotations

from django.urls import path

from . import probes

urlpatterns = [
    path("health", probes.health, name="health"),
    path("ready", probes.ready, name="ready"),
]
