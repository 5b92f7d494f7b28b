"""Production log lines carry tracebacks as JSON, without any frame's local variables."""

from __future__ import annotations

import io
import json
import logging
import logging.config

from sie_site import logs


def production_logger() -> tuple[logging.Logger, io.StringIO]:
    config = logs.logging_config(debug=False, level="INFO")
    formatter = logging.config.DictConfigurator(config).configure_custom(
        dict(config["formatters"]["structured"])
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("tests.no-locals")
    logger.handlers[:] = [handler]
    logger.propagate = False
    return logger, stream


def authenticate(raw_key: str) -> None:
    raise ValueError("key lookup failed")


def test_a_logged_exception_has_a_json_traceback_without_locals():
    logger, stream = production_logger()
    try:
        authenticate("sie_abcd1234_the-secret-part")
    except ValueError:
        logger.exception("auth crashed")
    line = json.loads(stream.getvalue())
    frames = line["exception"][0]["frames"]
    assert [f["name"] for f in frames][-1] == "authenticate"
    assert "the-secret-part" not in stream.getvalue()
    assert all("locals" not in frame for frame in frames)
