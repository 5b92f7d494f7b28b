"""SRE API shapes (SPEC §5): services, SLOs, pushed events and the status document."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from . import budget
from .models import (
    LATENCY_BOUNDS_MS,
    SLO,
    Budgeting,
    Service,
    SLIKind,
    Snapshot,
    Source,
)

PUSH_FUTURE_SKEW = timedelta(seconds=60)
MAX_EVENTS = 10_000
TELEMETRY_KINDS = {SLIKind.AVAILABILITY, SLIKind.LATENCY, SLIKind.ERROR_RATE, SLIKind.QUEUE_LAG}
# Omitted from an SLO's representation when they do not apply (empty).
OPTIONAL_FIELDS = (
    "display_name",
    "description",
    "threshold_ms",
    "timeslice_target",
    "routes",
    "methods",
    "good_query",
    "total_query",
    "runbook",
)


class ServiceSerializer(serializers.ModelSerializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=64), required=False)

    class Meta:
        model = Service
        fields = ["name", "description", "owner", "routing_key", "tags"]
        extra_kwargs = {"routing_key": {"write_only": True}}


class SLOSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="name", queryset=Service.objects.all())
    objective = serializers.DecimalField(max_digits=7, decimal_places=4, coerce_to_string=False)
    timeslice_target = serializers.DecimalField(
        max_digits=7, decimal_places=6, coerce_to_string=False, required=False, allow_null=True
    )
    routes = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    methods = serializers.ListField(child=serializers.CharField(max_length=10), required=False)

    class Meta:
        model = SLO
        fields = [
            "id",
            "service",
            "name",
            "display_name",
            "description",
            "sli",
            "objective",
            "window",
            "budgeting",
            "source",
            "threshold_ms",
            "timeslice_target",
            "routes",
            "methods",
            "good_query",
            "total_query",
            "runbook",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def to_representation(self, instance: SLO) -> dict[str, Any]:
        data = super().to_representation(instance)
        for name in OPTIONAL_FIELDS:
            if data.get(name) in (None, "", []):
                data.pop(name, None)
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        merged = {**self._current(), **attrs}
        errors = slo_errors(merged)
        if errors:
            raise serializers.ValidationError(errors)
        if merged["sli"] == SLIKind.QUEUE_LAG and "budgeting" not in attrs:
            attrs["budgeting"] = Budgeting.TIMESLICES
        return attrs

    def _current(self) -> dict[str, Any]:
        if self.instance is None:
            return {"budgeting": None, "good_query": "", "total_query": "", "threshold_ms": None}
        return {name: getattr(self.instance, name) for name in self.Meta.fields if name != "id"}


def slo_errors(slo: dict[str, Any]) -> dict[str, str]:
    """Cross-field rules of an SLO definition (shared by the API and the OpenSLO import)."""
    errors: dict[str, str] = {}
    source, kind = slo.get("source"), slo.get("sli")
    threshold = slo.get("threshold_ms")
    if source == Source.TELEMETRY and kind not in TELEMETRY_KINDS:
        errors["sli"] = f"telemetry measures {', '.join(sorted(TELEMETRY_KINDS))}, not {kind}"
    if kind == SLIKind.QUEUE_LAG and source != Source.TELEMETRY:
        errors["source"] = "queue_lag is sampled by the SIE itself: use source=telemetry"
    if kind == SLIKind.QUEUE_LAG and slo.get("budgeting") == Budgeting.OCCURRENCES:
        errors["budgeting"] = "queue_lag is measured in timeslices"
    if (
        source == Source.TELEMETRY
        and kind in (SLIKind.LATENCY, SLIKind.QUEUE_LAG)
        and not threshold
    ):
        errors["threshold_ms"] = f"required for a {kind} SLO"
    if source == Source.TELEMETRY and kind == SLIKind.LATENCY and threshold:
        if threshold not in LATENCY_BOUNDS_MS:
            bounds = ", ".join(map(str, LATENCY_BOUNDS_MS))
            errors["threshold_ms"] = f"must be a histogram bound: one of {bounds}"
    if source == Source.PROMETHEUS:
        for name in ("good_query", "total_query"):
            if not (slo.get(name) or "").strip():
                errors[name] = "required for source=prometheus"
    objective = slo.get("objective")
    if objective is not None:
        problem = objective_problem(Decimal(str(objective)))
        if problem:
            errors["objective"] = problem
    return errors


def objective_problem(objective: Decimal) -> str | None:
    """Why an objective (a percentage) is refused, or None. Below 1 it is almost surely a
    fraction (0.999 meant 99.9 %): taken as a percentage, even a total outage burns only
    1.01 and nothing ever pages. More than 4 decimals would be rounded by the column
    (99.99999 → 100.0000, which no budget can be computed for)."""
    if not 0 < objective < 100:
        return "a percentage strictly between 0 and 100, e.g. 99.9"
    if objective < 1:
        return f"{objective} looks like a fraction: did you mean {(objective * 100).normalize():f}?"
    if objective.normalize().as_tuple().exponent < -4:
        return f"{objective.normalize():f} % has more than 4 decimals"
    return None


class EventSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    good = serializers.IntegerField(min_value=0)
    total = serializers.IntegerField(min_value=0)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["good"] > attrs["total"]:
            raise serializers.ValidationError({"good": "must not exceed total"})
        now = timezone.now()
        if attrs["timestamp"] > now + PUSH_FUTURE_SKEW:
            raise serializers.ValidationError({"timestamp": "is in the future"})
        days = self.context.get("history_days", 3)
        if attrs["timestamp"] < now - timedelta(days=days):
            # The SLO's longest period plus the 3-day burn window and a day of slack.
            raise serializers.ValidationError({"timestamp": f"is older than {days} days"})
        return attrs


class EventListSerializer(serializers.ListSerializer):
    child = EventSerializer()
    max_length = MAX_EVENTS
    allow_empty = False


class EventBatchSerializer(serializers.Serializer):
    """The object form of a push: {"mode": "add"|"replace", "events": [...]}. "replace"
    makes a re-sent minute idempotent; "add" (the default, and the bare-array form) sums."""

    mode = serializers.ChoiceField(choices=["add", "replace"], default="add")
    events = EventListSerializer()


def status_document(snapshot: Snapshot) -> dict[str, Any]:
    """GET /api/v1/slos/{id}/status: fractions 0..1, burn rates as plain multiples."""
    slo = snapshot.slo
    return {
        "slo": slo.pk,
        "service": slo.service.name,
        "name": slo.name,
        "status": snapshot.status,
        "evaluated_at": snapshot.evaluated_at,
        "sli": snapshot.sli,
        "objective": slo.objective_percent / 100.0,
        "window": slo.window,
        "error_budget": {
            "total": snapshot.budget_total,
            "consumed": snapshot.budget_consumed,
            "remaining": snapshot.budget_remaining,
        },
        "burn_rates": {w: snapshot.burn_rates.get(w) for w in budget.BURN_WINDOWS},
        "alerts": snapshot.alerts,
    }
