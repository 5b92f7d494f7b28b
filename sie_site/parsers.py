"""The JSON parser of every API: any body a client can send is a 400, never a crash."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """DRF's JSONParser, plus the errors it lets through as 500s.

    `[[[[…` a few thousand deep makes the decoder raise RecursionError (not a ValueError), and
    an unknown `charset=` in Content-Type raises LookupError before a byte is read.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        except LookupError:
            raise ParseError("JSON parse error - unknown charset") from None
