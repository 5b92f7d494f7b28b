"""The Celery app: `celery -A sie_site worker` / `celery -A sie_site beat`."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sie_site.settings")

app = Celery("sie_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _prepare_filesystem_broker(sender: Celery, **kwargs: object) -> None:
    # kombu's filesystem transport expects its folders to exist.
    opts = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder"):
        if opts.get(key):
            os.makedirs(opts[key], exist_ok=True)
