"""The project package as an app: wires logging receivers, tracing and config checks."""

from __future__ import annotations

import os
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from sie_site import logs, metrics, tracing


class SieSiteConfig(AppConfig):
    name = "sie_site"
    verbose_name = "SIE site"

    def ready(self) -> None:
        logs.connect_receivers()
        checks.register(check_metrics_dir)
        # Before the WSGI handler loads MIDDLEWARE, so Django's tracing middleware is in it.
        if settings.SIE_TRACING_ENABLED:
            tracing.enable(tracing.otlp_processor(settings.OTEL_EXPORTER_OTLP_ENDPOINT))


def check_metrics_dir(**kwargs: Any) -> list[checks.CheckMessage]:
    path = metrics.multiproc_dir()
    if path is None or (path.is_dir() and os.access(path, os.W_OK)):
        return []
    return [
        checks.Error(
            f"{metrics.MULTIPROC_DIR_ENV}={path} is not a writable directory",
            hint="create it before starting gunicorn/celery (gunicorn.conf.py does for web)",
            id="sie_site.E001",
        )
    ]
