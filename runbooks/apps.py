from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RunbooksConfig(AppConfig):
    name = "runbooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # sync imports the models, which Django only allows once the app registry is ready.
        from .sync import sync_after_migrate

        # Every migrate (and every test database) ends with the shipped library in place.
        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="runbooks-sync")
