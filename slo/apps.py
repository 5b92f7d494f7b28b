from __future__ import annotations

from django.apps import AppConfig


class SloConfig(AppConfig):
    name = "slo"
    verbose_name = "SLOs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Models (and runbooks.links) can only be imported once the app registry is ready;
        # importing the module registers its system checks.
        from . import checks  # noqa: F401
