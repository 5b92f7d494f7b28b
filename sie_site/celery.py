"""The Celery app: `celery -A sie_site worker` / `celery -A sie_site beat`."""

from __future__ import annotations

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging, worker_init, worker_process_shutdown
from django.conf import settings
from django_structlog.celery.steps import DjangoStructLogInitStep

from sie_site import metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sie_site.settings")

app = Celery("sie_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# ingestion.retention keeps its thin task beside the workflow (tasks.py is being rewritten).
app.autodiscover_tasks(["ingestion"], related_name="retention")
# Binds the publishing request's request_id/user_id/project_id (task headers) in the worker.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _use_django_logging(**kwargs: Any) -> None:
    # Connecting this stops Celery from replacing the root logger's handlers, so worker lines
    # are the same structlog JSON as the web's.
    logging.config.dictConfig(settings.LOGGING)


@worker_init.connect
def _start_metrics_group(**kwargs: Any) -> None:
    # The worker's main process starts the group: files left there belong to a previous run.
    path = metrics.multiproc_dir()
    if path is not None:
        metrics.reset_group_dir(path)


@worker_process_shutdown.connect
def _forget_pool_process(pid: int | None = None, **kwargs: Any) -> None:
    metrics.mark_process_dead(pid or os.getpid())


@app.on_after_configure.connect
def _prepare_filesystem_broker(sender: Celery, **kwargs: object) -> None:
    # kombu's filesystem transport expects its folders to exist.
    opts = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if opts.get(key):
            os.makedirs(opts[key], exist_ok=True)
