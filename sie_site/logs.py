"""Structured logs: one structlog pipeline for our loggers and the stdlib's alike.

JSON lines in production, a readable console format when DEBUG. django-structlog writes the
single request line (request_finished, or request_failed on an unhandled exception) and carries
the context (request_id, user_id, project_id) into Celery task headers; the receivers below
make that line use the request id RequestIdMiddleware chose and add the SPEC §9 fields.
"""

from __future__ import annotations

import json
import time
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse
from django_structlog import signals

# A "started" line per request or task doubles the volume and says nothing the one closing
# line (which carries duration_ms) does not.
OPENING_EVENTS = frozenset({"request_started", "task_started"})
_MAX_ERROR_BODY = 64 * 1024


def drop_opening_events(logger: Any, method: str, event: dict[str, Any]) -> dict[str, Any]:
    if event.get("event") in OPENING_EVENTS:
        raise structlog.DropEvent
    return event


SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


# structlog's dict_tracebacks includes every frame's local variables, and an API key, a
# password or a request body is a local somewhere on the path of most exceptions.
NO_LOCALS_TRACEBACKS = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)


def logging_config(debug: bool, level: str) -> dict[str, Any]:
    """The LOGGING dict: every record, ours or a library's, rendered by structlog."""
    if debug:
        final: list[Any] = [structlog.dev.ConsoleRenderer()]
    else:
        final = [NO_LOCALS_TRACEBACKS, structlog.processors.JSONRenderer()]
    formatter = {
        "()": structlog.stdlib.ProcessorFormatter,
        "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
        "foreign_pre_chain": [*SHARED_PROCESSORS, structlog.stdlib.ExtraAdder()],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # django-structlog's request line replaces Django's own per-request records
            # (runserver's access line, "Not Found: …"); failures it logs with the traceback.
            "django.server": {"level": "ERROR"},
            "django.request": {"level": "CRITICAL"},
            # Likewise django-structlog's task_succeeded/task_failed line replaces Celery's
            # "Task … received" / "Task … succeeded" pair (its errors still get through).
            "celery.app.trace": {"level": "WARNING"},
            "celery.worker.strategy": {"level": "WARNING"},
        },
    }


def configure_structlog() -> None:
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            drop_opening_events,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def error_message_of(response: HttpResponse) -> str | None:
    """The error envelope's message of a 4xx/5xx answer, else its reason phrase."""
    if response.status_code < 400:
        return None
    data = getattr(response, "data", None)  # DRF responses keep the body unrendered
    if data is None and response.get("Content-Type", "").startswith("application/json"):
        content = getattr(response, "content", b"")
        if len(content) <= _MAX_ERROR_BODY:
            try:
                data = json.loads(content)
            except ValueError:
                data = None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message", response.reason_phrase))
    return response.reason_phrase


def _elapsed_ms(request: HttpRequest) -> float | None:
    started = getattr(request, "log_started_at", None)
    return None if started is None else round((time.perf_counter() - started) * 1000, 2)


def _bind_user(request: HttpRequest) -> None:
    # The customer API authenticates by API key (ingestion sets request.customer); staff
    # users come from Django's session or token auth.
    customer = getattr(request, "customer", None)
    if customer is not None:
        structlog.contextvars.bind_contextvars(user_id=customer.pk)
    elif "user_id" not in structlog.contextvars.get_contextvars():
        structlog.contextvars.bind_contextvars(user_id=None)  # every request line has the key


def _align_request_id(request: HttpRequest, log_kwargs: dict[str, Any], **kwargs: Any) -> None:
    request.log_started_at = time.perf_counter()
    request_id = getattr(request, "request_id", None)
    if request_id:
        structlog.contextvars.bind_contextvars(request_id=request_id)


def _finish_request_line(
    request: HttpRequest, response: HttpResponse, log_kwargs: dict[str, Any], **kwargs: Any
) -> None:
    _bind_user(request)
    log_kwargs.pop("code", None)
    log_kwargs.update(
        status_code=response.status_code,
        duration_ms=_elapsed_ms(request),
        error_message=error_message_of(response),
    )


def _fail_request_line(
    request: HttpRequest, exception: BaseException, log_kwargs: dict[str, Any], **kwargs: Any
) -> None:
    _bind_user(request)
    log_kwargs.pop("code", None)
    log_kwargs.update(
        status_code=500, duration_ms=_elapsed_ms(request), error_message=str(exception)
    )


def connect_receivers() -> None:
    """Hook the request-line fields into django-structlog (called from AppConfig.ready)."""
    signals.bind_extra_request_metadata.connect(_align_request_id, dispatch_uid="sie-request-id")
    signals.bind_extra_request_finished_metadata.connect(
        _finish_request_line, dispatch_uid="sie-request-finished"
    )
    signals.bind_extra_request_failed_metadata.connect(
        _fail_request_line, dispatch_uid="sie-request-failed"
    )
