"""The Celery app: `celery -A sie_site worker` / `celery -A sie_site beat`."""

from __future__ import annotations

import logging.config
import os
from typing import Any

from celery import Celery
from celery.signals import (
    celeryd_init,
    setup_logging,
    task_prerun,
    worker_init,
    worker_process_shutdown,
)
from django.conf import settings
from django.db import connections
from django_structlog.celery.steps import DjangoStructLogInitStep

from sie_site import metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sie_site.settings")

app = Celery("sie_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Binds the publishing request's request_id/user_id/project_id (task headers) in the worker.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _use_django_logging(**kwargs: Any) -> None:
    # Connecting this stops Celery from replacing the root logger's handlers, so worker lines
    # are the same structlog JSON as the web's.
    logging.config.dictConfig(settings.LOGGING)


# Persistent worker connections (issue 8). With a psycopg pool configured, Celery's Django
# fixup closes the whole pool around every task in prefork children, so each task connected
# anew (~17 % of a worker's time). Workers instead keep one plain connection per process,
# recycled after WORKER_DB_REUSE_TASKS tasks; broken ones are dropped before the next task.
WORKER_DB_REUSE_TASKS = 1000


@celeryd_init.connect
def _persistent_worker_connections(**kwargs: Any) -> None:
    for db in settings.DATABASES.values():
        db.get("OPTIONS", {}).pop("pool", None)
        db["CONN_MAX_AGE"] = None
        db["CONN_HEALTH_CHECKS"] = True
    # Read by Celery's Django fixup when the worker initialises, after this signal.
    app.conf.CELERY_DB_REUSE_MAX = WORKER_DB_REUSE_TASKS


@task_prerun.connect
def _drop_broken_connections(task: Any = None, **kwargs: Any) -> None:
    # What Django does at each request start: a connection that saw an error is checked and
    # closed if unusable, so a database restart costs one failed task, not every later one.
    # (Eager tasks run inside the caller's transaction, whose connection is not ours.)
    if task is None or getattr(task.request, "is_eager", False):
        return
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()


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
