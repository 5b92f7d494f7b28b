"""Shape and size validation of the customer API (no database access here)."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers

MAX_MENTIONS = 1000
MAX_METADATA_BYTES = 16 * 1024


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


class MentionSerializer(serializers.Serializer):
    project = serializers.SlugField(max_length=64)
    external_id = StrictCharField(max_length=128)
    text = StrictCharField(min_length=1, max_length=10000)
    source = StrictCharField(max_length=64, required=False, allow_blank=True)
    author = StrictCharField(max_length=256, required=False, allow_blank=True)
    url = serializers.URLField(max_length=2048, required=False, allow_blank=True)
    posted_at = serializers.DateTimeField(required=False, allow_null=True)
    lang = StrictCharField(max_length=16, required=False, allow_blank=True)
    metadata = serializers.DictField(required=False)

    def validate_metadata(self, value: dict[str, Any]) -> dict[str, Any]:
        encoded = json.dumps(value, ensure_ascii=True)
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
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
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
