"""Shape and size validation of the customer API (no database access here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from rest_framework import serializers

MAX_MENTIONS = 1000
MAX_METADATA_BYTES = 16 * 1024
# Nesting of metadata objects/arrays; deeper documents are refused (they only serve to make
# every later json.dumps, jsonb function or log renderer recurse).
MAX_METADATA_DEPTH = 16
# The dates the API accepts, in queries and in mentions: far-off years overflow the hour/day
# arithmetic of the roll-ups (9999-12-31T23:30 + 1 h) and make no sense for social media.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# posted_at may be this far ahead of the server clock (a sender's clock skew); a mention
# dated later would sit in a future bucket of the roll-ups and be counted in no window yet.
MAX_POSTED_AHEAD = timedelta(days=1)


def _check_text(value: str) -> str:
    if "\x00" in value:
        raise serializers.ValidationError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise serializers.ValidationError("must be valid Unicode (lone surrogate)") from None
    return value


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into strings."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return _check_text(super().to_internal_value(data))


class BoundedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time between EARLIEST and LATEST (or `ahead` past now, when given)."""

    def __init__(self, *, ahead: timedelta | None = None, **kwargs: Any):
        self.ahead = ahead
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> datetime:
        parsed = super().to_internal_value(value)
        latest = LATEST if self.ahead is None else timezone.now() + self.ahead
        if not EARLIEST <= parsed < latest:
            raise serializers.ValidationError(
                f"must be between {EARLIEST.isoformat()} and {latest.isoformat()}"
            )
        return parsed


def _depth(value: Any) -> int:
    """Nesting depth of a JSON document, walked iteratively (recursion is what we guard)."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= MAX_METADATA_DEPTH:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in node)
    return deepest


class MentionSerializer(serializers.Serializer):
    project = serializers.SlugField(max_length=64)
    external_id = StrictCharField(max_length=128)
    text = StrictCharField(min_length=1, max_length=10000)
    source = StrictCharField(max_length=64, required=False, allow_blank=True)
    author = StrictCharField(max_length=256, required=False, allow_blank=True)
    url = serializers.URLField(max_length=2048, required=False, allow_blank=True)
    posted_at = BoundedDateTimeField(ahead=MAX_POSTED_AHEAD, required=False, allow_null=True)
    lang = StrictCharField(max_length=16, required=False, allow_blank=True)
    metadata = serializers.DictField(required=False)

    def validate_metadata(self, value: dict[str, Any]) -> dict[str, Any]:
        if _depth(value) > MAX_METADATA_DEPTH:
            raise serializers.ValidationError(f"must be nested at most {MAX_METADATA_DEPTH} deep")
        try:
            # 1e400 parses as float("inf"), which JSON (and PostgreSQL's jsonb) cannot hold.
            encoded = json.dumps(value, ensure_ascii=True, allow_nan=False)
        except ValueError:
            raise serializers.ValidationError("numbers must be finite") from None
        if len(encoded.encode()) > MAX_METADATA_BYTES:
            raise serializers.ValidationError(f"must be at most {MAX_METADATA_BYTES} bytes as JSON")
        # ensure_ascii escapes NUL as \u0000, which PostgreSQL's jsonb refuses.
        if "\\u0000" in encoded:
            raise serializers.ValidationError("must not contain NUL characters")
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise serializers.ValidationError("must be valid Unicode (lone surrogate)") from None
        return value


class BatchSerializer(serializers.Serializer):
    mentions = MentionSerializer(many=True, allow_empty=False, max_length=MAX_MENTIONS)


class IngestResponseSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    ids = serializers.ListField(child=serializers.IntegerField())


def validate_ingest_body(data: Any) -> list[dict[str, Any]]:
    """One mention object or {"mentions": [...]} -> validated mentions, or ValidationError."""
    if isinstance(data, dict) and "mentions" in data:
        serializer: serializers.Serializer = BatchSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["mentions"]
    if not isinstance(data, dict):
        raise serializers.ValidationError(
            {"non_field_errors": ['expected a mention object or {"mentions": [...]}']}
        )
    serializer = MentionSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return [serializer.validated_data]


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class ErrorSerializer(serializers.Serializer):
    """The envelope of every error answer."""

    error = ErrorBodySerializer()


class SentimentSerializer(serializers.Serializer):
    positive = serializers.IntegerField()
    neutral = serializers.IntegerField()
    negative = serializers.IntegerField()
    mean_compound = serializers.FloatField(allow_null=True)


class BucketSerializer(serializers.Serializer):
    bucket = serializers.DateTimeField()
    count = serializers.IntegerField()
    mean_compound = serializers.FloatField(allow_null=True)


class EntityCountSerializer(serializers.Serializer):
    text = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class TagCountSerializer(serializers.Serializer):
    tag = serializers.CharField()
    count = serializers.IntegerField()


class InsightsSerializer(serializers.Serializer):
    """GET /insights (documentation of the answer's shape)."""

    project = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)
    total = serializers.IntegerField()
    enriched = serializers.IntegerField()
    pending = serializers.IntegerField()
    failed = serializers.IntegerField()
    sentiment = SentimentSerializer()
    series = BucketSerializer(many=True)
    top_entities = EntityCountSerializer(many=True)
    top_hashtags = TagCountSerializer(many=True)


class InsightsQuerySerializer(serializers.Serializer):
    project = serializers.SlugField(max_length=64)
    since = BoundedDateTimeField(required=False)
    until = BoundedDateTimeField(required=False)
    interval = serializers.ChoiceField(choices=["hour", "day"], default="hour")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"since": ["must be before until"]})
        return attrs


class MentionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.CharField(source="project.slug")
    external_id = serializers.CharField()
    text = serializers.CharField()
    source = serializers.CharField()
    author = serializers.CharField()
    url = serializers.CharField()
    posted_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    lang = serializers.CharField(source="detected_lang")
    status = serializers.CharField()
    sentiment = serializers.CharField()
    compound = serializers.FloatField()
    entities = serializers.JSONField()
    hashtags = serializers.JSONField()
    keywords = serializers.JSONField()
    degraded = serializers.BooleanField()
    enriched_at = serializers.DateTimeField()
