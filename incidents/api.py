"""SRE API (staff only, session or token): /api/v1/incidents and /api/v1/silences."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from sie_site.errors import ApiError

from .models import Actor, Incident, IncidentStatus, Severity, Silence
from .serializers import IncidentEventSerializer, IncidentSerializer, SilenceSerializer

FILTERS = {"status": IncidentStatus.values, "severity": Severity.values}


def _actor(request: Request) -> str:
    return request.user.get_username() if request.user else "api"


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IncidentSerializer

    def get_queryset(self) -> QuerySet[Incident]:
        incidents = Incident.objects.select_related("service", "rule").order_by("-triggered_at")
        params = self.request.query_params
        for name, allowed in FILTERS.items():
            value = params.get(name)
            if value and value not in allowed:
                raise ApiError(400, "invalid_payload", f"{name} must be one of {allowed}")
            if value:
                incidents = incidents.filter(**{name: value})
        if params.get("service"):
            incidents = incidents.filter(service__name=params["service"])
        return incidents

    @extend_schema(parameters=[OpenApiParameter(n, str) for n in ("status", "service", "severity")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if not incident.acknowledge(_actor(request), Actor.API):
            raise ApiError(409, "conflict", f"incident is {incident.status}, not triggered")
        return Response(IncidentSerializer(incident).data)

    @extend_schema(request=None, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        if not incident.resolve(_actor(request), Actor.API):
            raise ApiError(409, "conflict", "incident is already resolved")
        return Response(IncidentSerializer(incident).data)

    @extend_schema(responses=IncidentEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        events = self.get_object().events.all()
        return Response(IncidentEventSerializer(events, many=True).data)


class SilenceViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SilenceSerializer
    queryset = Silence.objects.select_related("service", "rule").order_by("-starts_at")

    def perform_create(self, serializer: SilenceSerializer) -> None:
        serializer.save(created_by=_actor(self.request))


router = SimpleRouter(trailing_slash=False)
router.register("incidents", IncidentViewSet, basename="incident")
router.register("silences", SilenceViewSet, basename="silence")
