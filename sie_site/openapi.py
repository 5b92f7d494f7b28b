"""OpenAPI post-processing: every operation documents the error envelope it can answer with.

sie_site.errors answers any DRF view's failure in one envelope: a malformed body or query
(400), missing or refused credentials (401/403), an unknown object (404), a body that is not
JSON (415), a rate limit (429), the database down (503). Views document their own codes;
this hook adds the ones every operation shares, so the schema matches what clients get.
"""

from __future__ import annotations

from typing import Any

ENVELOPE = "ErrorEnvelope"
SHARED_ERRORS = {
    "400": "invalid_payload: a malformed body or query parameter",
    "401": "unauthorized: missing or unknown credentials",
    "403": "forbidden: the caller may not do this",
    "404": "not_found: no such object",
    "415": "unsupported_media_type: the body is not JSON",
    "429": "rate_limited or queue_full, with Retry-After",
    "503": "unavailable: the database is down, with Retry-After",
}
_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}


def document_error_envelope(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    result.setdefault("components", {}).setdefault("schemas", {})[ENVELOPE] = _SCHEMA
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ENVELOPE}"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, description in SHARED_ERRORS.items():
                operation["responses"].setdefault(
                    code, {"description": description, "content": content}
                )
    return result
