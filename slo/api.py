"""SRE API (staff only, session or token): /api/v1/services, /api/v1/slos, events, status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from ingestion.timegrain import floor_minute
from sie_site.errors import ApiError

from . import backtest, evaluation, sources
from .buckets import Merge
from .models import SLO, Service, Snapshot, Source
from .serializers import (
    EventBatchSerializer,
    EventListSerializer,
    ServiceSerializer,
    SLOSerializer,
    status_document,
)

EventsAccepted = inline_serializer(
    "EventsAccepted",
    {"accepted": serializers.IntegerField(), "minutes": serializers.IntegerField()},
)
BacktestDocument = inline_serializer(
    "SLOBacktest",
    {
        "slo": serializers.IntegerField(),
        "from": serializers.DateTimeField(),
        "to": serializers.DateTimeField(),
        "policy": serializers.DictField(),
        "episodes": serializers.ListField(child=serializers.DictField()),
        "summary": serializers.DictField(child=serializers.IntegerField()),
    },
)
StatusDocument = inline_serializer(
    "SLOStatus",
    {
        "sli": serializers.FloatField(allow_null=True),
        "objective": serializers.FloatField(),
        "window": serializers.CharField(),
        "error_budget": serializers.DictField(child=serializers.FloatField(allow_null=True)),
        "burn_rates": serializers.DictField(child=serializers.FloatField(allow_null=True)),
        "alerts": serializers.ListField(child=serializers.DictField()),
    },
)


class ServiceViewSet(viewsets.ModelViewSet):
    serializer_class = ServiceSerializer
    queryset = Service.objects.order_by("name")
    lookup_field = "name"
    lookup_value_regex = r"[a-z0-9-]+"


class SLOViewSet(viewsets.ModelViewSet):
    serializer_class = SLOSerializer

    def get_queryset(self) -> QuerySet[SLO]:
        slos = SLO.objects.select_related("service").order_by("service__name", "name")
        service = self.request.query_params.get("service")
        return slos.filter(service__name=service) if service else slos

    @extend_schema(
        parameters=[OpenApiParameter("service", str, description="only this service's SLOs")]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=EventBatchSerializer, responses={202: EventsAccepted})
    @action(detail=True, methods=["post"])
    def events(self, request: Request, pk: str | None = None) -> Response:
        """Add pushed good/total counts ([{"timestamp", "good", "total"}], or
        {"mode": "add"|"replace", "events": [...]}) to a push SLO, back to the start of its
        longest period; all or nothing per request."""
        slo = self.get_object()
        if slo.source != Source.PUSH:
            raise ApiError(
                409, "wrong_source", f"this SLO reads {slo.source}; push needs source=push"
            )
        events, merge = _pushed_events(request.data, slo)
        minutes = sources.record_events(slo, events, merge)
        body = {"accepted": len(events), "minutes": minutes}
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, required=True, description="ISO 8601 start"),
            OpenApiParameter("to", str, description="ISO 8601 end (default: now)"),
            OpenApiParameter("policy", str, description="sie (default), workbook or pyrra"),
        ],
        responses=BacktestDocument,
    )
    @action(detail=True, methods=["get"])
    def backtest(self, request: Request, pk: str | None = None) -> Response:
        """Alert episodes the policy would have raised over the stored history."""
        slo = self.get_object()
        params = request.query_params
        try:
            start = _moment(params.get("from"), "from")
            end = _moment(params.get("to"), "to") if params.get("to") else timezone.now()
            chosen = backtest.policy(slo, params.get("policy", "sie"))
            result = backtest.run(slo, start, end, chosen)
        except backtest.BacktestError as exc:
            raise ApiError(400, "invalid_query", str(exc)) from exc
        return Response(backtest_document(slo, result))

    @extend_schema(responses=StatusDocument)
    @action(detail=True, methods=["get"])
    def status(self, request: Request, pk: str | None = None) -> Response:
        """The latest evaluation; an SLO Beat has not evaluated yet is computed on the spot."""
        slo = self.get_object()
        snapshots = Snapshot.objects.filter(slo=slo).select_related("slo__service")
        snapshot = snapshots.order_by("-evaluated_at").first()
        if snapshot is None:
            snapshot = evaluation.compute(floor_minute(timezone.now()), [slo.pk])[0]
        return Response(status_document(snapshot))


def _pushed_events(data: Any, slo: SLO) -> tuple[list[sources.Event], Merge]:
    """Validated events of a push body: a bare array (adds) or {"mode", "events"}."""
    context = {"history_days": slo.history_days}
    if isinstance(data, list):
        payload = EventListSerializer(data=data, context=context)
        payload.is_valid(raise_exception=True)
        validated, mode = payload.validated_data, "add"
    elif isinstance(data, dict):
        payload = EventBatchSerializer(data=data, context=context)
        payload.is_valid(raise_exception=True)
        validated, mode = payload.validated_data["events"], payload.validated_data["mode"]
    else:
        raise ApiError(
            400, "invalid_payload", 'expected a JSON array of {"timestamp", "good", "total"}'
        )
    merge = Merge.REPLACE if mode == "replace" else Merge.ADD
    return [sources.Event(**e) for e in validated], merge


def _moment(raw: str | None, name: str) -> datetime:
    try:
        at = datetime.fromisoformat(raw or "")
    except ValueError:
        raise backtest.BacktestError(f"{name}: an ISO 8601 date-time is required") from None
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def backtest_document(slo: SLO, result: backtest.Result) -> dict[str, Any]:
    rules = [
        {"severity": r.severity, "windows": [r.long, r.short], "factor": r.factor}
        for r in result.policy.rules
    ]
    return {
        "slo": slo.pk,
        "from": result.start,
        "to": result.end,
        "policy": {"name": result.policy.name, "rules": rules},
        "episodes": [e.as_dict() for e in result.episodes],
        "summary": {
            "pages": result.pages,
            "tickets": result.tickets,
            "noisiest_week_pages": result.noisiest_week_pages(),
        },
    }


router = SimpleRouter(trailing_slash=False)
router.register("services", ServiceViewSet, basename="api-service")
router.register("slos", SLOViewSet, basename="api-slo")
