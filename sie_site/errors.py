"""The one error envelope every API answer uses: {"error": {"code", "message", "fields"?}}."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

DB_RETRY_AFTER_SECONDS = 5


class ApiError(exceptions.APIException):
    """An error with a documented code; raise it anywhere in a DRF view."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        retry_after: int | None = None,
        fields: dict[str, list[str]] | None = None,
    ):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.retry_after = retry_after
        self.fields = fields


_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: "invalid_payload",
    exceptions.ValidationError: "invalid_payload",
    exceptions.NotAuthenticated: "unauthorized",
    exceptions.AuthenticationFailed: "unauthorized",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}


def envelope(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def error_response(status_code: int, code: str, message: str, **headers: str) -> JsonResponse:
    """For plain Django views and middleware (outside DRF)."""
    response = JsonResponse(envelope(code, message), status=status_code)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def error_code_of(response: HttpResponse) -> str | None:
    """The envelope's error code of an answer (DRF keeps it unrendered; ours are JSON)."""
    data = getattr(response, "data", None)
    if data is None and response.get("Content-Type", "").startswith("application/json"):
        try:
            data = json.loads(response.content)
        except ValueError:
            return None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return data["error"].get("code")
    return None


def flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """{"mentions": [{}, {"text": ["…"]}]} -> {"mentions[1].text": ["…"]}."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            # DRF reports failing list items as {index: errors}.
            if isinstance(key, int):
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and prefix:
                name = prefix
            out.update(flatten_fields(value, name))
        return out
    if isinstance(detail, list) and detail and all(isinstance(d, (dict, list)) for d in detail):
        out = {}
        for index, value in enumerate(detail):
            out.update(flatten_fields(value, f"{prefix}[{index}]"))
        return out
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(m) for m in messages if m]}


def _first_message(fields: dict[str, list[str]]) -> str:
    name, messages = next(iter(fields.items()))
    return f"{name}: {messages[0]}" if messages else name


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, (DataError, OverflowError)):
        # A value the client sent that validation let through and the database (a number
        # beyond bigint) or date arithmetic (9999-12-31 + 1 h) refused: the client's error.
        return Response(
            envelope("invalid_payload", "a value is out of the range the service stores"),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, (OperationalError, InterfaceError)) or type(exc) is DatabaseError:
        response = Response(
            envelope("unavailable", "the database is unavailable; retry later"),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = str(DB_RETRY_AFTER_SECONDS)
        return response
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        response.data = envelope(exc.error_code, str(exc.detail), exc.fields)
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response
    # DRF turns Django's Http404 / PermissionDenied into its own types only inside its handler.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "not found")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    code = next((c for t, c in _CODES.items() if isinstance(exc, t)), "error")
    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_fields(exc.detail)
        response.data = envelope(code, _first_message(fields), fields)
    else:
        response.data = envelope(code, str(getattr(exc, "detail", exc)))
    return response


# Django's own error pages (a URL no route matches, a bad request Django refuses before any
# view, an uncaught exception) for the API are the same envelope, never an HTML page.
API_PREFIXES = ("/api/", "/ingest", "/insights")


def _wants_envelope(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES) or "json" in request.headers.get("Accept", "")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_envelope(request):
        return error_response(404, "not_found", "no such URL")
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_envelope(request):
        return error_response(400, "bad_request", "the request was refused")
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # No detail: the cause is in the log line (request_failed) under the same request id.
    if _wants_envelope(request):
        return error_response(500, "internal_error", "internal error; see the request id")
    return defaults.server_error(request)
