"""SRE API shapes: incidents (read; state changes via actions), timeline, silences."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from slo.models import Service

from .models import AlertRule, Incident, IncidentEvent, Severity, Silence


class IncidentSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="name", read_only=True)
    rule = serializers.SlugRelatedField(slug_field="name", read_only=True)
    paged = serializers.BooleanField(read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "dedup_key",
            "title",
            "service",
            "slo",
            "rule",
            "severity",
            "status",
            "runbook_url",
            "details",
            "paged",
            "triggered_at",
            "acknowledged_at",
            "resolved_at",
        ]
        read_only_fields = fields


class IncidentEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentEvent
        fields = ["at", "kind", "actor", "source", "message", "data"]
        read_only_fields = fields


class SilenceSerializer(serializers.ModelSerializer):
    """Either `ends_at`, or `hours` from `starts_at` (default now): "silence checkout 2 h"."""

    service = serializers.SlugRelatedField(
        slug_field="name", queryset=Service.objects.all(), required=False, allow_null=True
    )
    rule = serializers.SlugRelatedField(
        slug_field="name", queryset=AlertRule.objects.all(), required=False, allow_null=True
    )
    severity = serializers.ChoiceField(Severity.choices, required=False, allow_blank=True)
    hours = serializers.FloatField(
        write_only=True, required=False, min_value=0.01, max_value=24 * 90
    )
    ends_at = serializers.DateTimeField(required=False)

    class Meta:
        model = Silence
        fields = [
            "id",
            "service",
            "rule",
            "severity",
            "starts_at",
            "ends_at",
            "hours",
            "comment",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "created_by", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        hours = attrs.pop("hours", None)
        starts = attrs.setdefault("starts_at", timezone.now())
        if hours is not None:
            attrs["ends_at"] = starts + timedelta(hours=hours)
        if "ends_at" not in attrs:
            raise serializers.ValidationError({"ends_at": ["give ends_at or hours"]})
        if attrs["ends_at"] <= starts:
            raise serializers.ValidationError({"ends_at": ["must be after starts_at"]})
        return attrs
