"""The customer API: POST /ingest, GET /insights, GET /api/v1/mentions."""

from __future__ import annotations

from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, UnsupportedMediaType
from rest_framework.generics import ListAPIView
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sie_site.errors import ApiError

from . import insights, intake
from .auth import ApiKeyAuthentication, TierRateThrottle
from .models import Customer, Mention, Project
from .serializers import (
    ErrorSerializer,
    IngestResponseSerializer,
    InsightsQuerySerializer,
    InsightsSerializer,
    MentionOutSerializer,
    MentionSerializer,
    validate_ingest_body,
)

QUEUE_FULL_RETRY_AFTER = 30


class CustomerApiView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [TierRateThrottle]

    def finalize_response(self, request: Request, response: Response, *args: Any, **kw: Any):
        limiter = getattr(request._request, "rate_limit", None)
        if limiter is not None:
            for name, value in limiter.headers().items():
                response[name] = value
        return super().finalize_response(request, response, *args, **kw)

    def own_project(self, slug: str) -> Project:
        # Another customer's project answers exactly like a missing one, so the API never
        # confirms that a slug exists outside the caller's account.
        project = Project.objects.filter(slug=slug, customer_id=self.request.user.pk).first()
        if project is None:
            raise ApiError(404, "not_found", f"unknown project {slug!r}")
        structlog.contextvars.bind_contextvars(project_id=project.pk)
        return project


class IngestView(CustomerApiView):
    @extend_schema(
        request=MentionSerializer,
        responses={
            202: IngestResponseSerializer,
            **{code: ErrorSerializer for code in (400, 401, 413, 415, 429, 503)},
        },
        description='One mention object, or {"mentions": [...]} with up to 1000 mentions.',
    )
    def post(self, request: Request) -> Response:
        # DRF reads a body without a Content-Type as empty form data; refuse it like any
        # other media type instead of reporting every field as missing.
        if not request.content_type:
            raise UnsupportedMediaType("")
        try:
            data = request.data
        except RequestDataTooBig:
            raise ApiError(413, "payload_too_large", "request body is over 5 MB") from None
        mentions = validate_ingest_body(data)
        if intake.pending_count() >= settings.SIE_QUEUE_MAX_SIZE:
            raise ApiError(
                429, "queue_full", "enrichment queue is full", retry_after=QUEUE_FULL_RETRY_AFTER
            )
        customer: Customer = request.user
        try:
            result = intake.accept(customer, mentions)
        except intake.UnknownProjects as exc:
            raise ApiError(400, "invalid_payload", "unknown project", fields=exc.fields) from exc
        except intake.ForeignProjects:
            fields = _foreign_fields(customer, mentions)
            raise ApiError(400, "invalid_payload", "unknown project", fields=fields) from None
        body = {"accepted": result.accepted, "duplicates": result.duplicates, "ids": result.ids}
        return Response(body, status=status.HTTP_202_ACCEPTED)


def _foreign_fields(customer: Customer, mentions: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The fields an unknown slug would get, for slugs of another customer's projects."""
    own = set(customer.projects.values_list("slug", flat=True))
    return {
        f"mentions[{i}].project" if len(mentions) > 1 else "project": ["unknown project"]
        for i, m in enumerate(mentions)
        if m["project"] not in own
    }


class InsightsView(CustomerApiView):
    @extend_schema(
        parameters=[InsightsQuerySerializer],
        responses={200: InsightsSerializer, **{c: ErrorSerializer for c in (400, 401, 404, 429)}},
    )
    def get(self, request: Request) -> Response:
        query = InsightsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        project = self.own_project(params["project"])
        return Response(
            insights.summarise(
                project, params.get("since"), params.get("until"), params["interval"]
            )
        )


# The cursor's position is a mention id (ordering "-id"), so a bigint.
_MAX_ID = 2**63 - 1


class MentionCursor(CursorPagination):
    ordering = "-id"
    page_size = 50
    max_page_size = 500
    page_size_query_param = "limit"

    def decode_cursor(self, request: Request) -> Cursor | None:
        """DRF's decoding, plus a check of the position: the cursor is client input, and a
        forged `p=abc` reached the id filter as a string (a 500)."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
        else:
            if cursor is None or _valid_position(cursor.position):
                return cursor
        raise ApiError(400, "invalid_cursor", "invalid cursor; use the next/previous links")


def _valid_position(position: str | None) -> bool:
    if position is None:
        return True
    return position.isascii() and position.isdigit() and int(position) <= _MAX_ID


class MentionListView(CustomerApiView, ListAPIView):
    serializer_class = MentionOutSerializer
    pagination_class = MentionCursor

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str, required=True),
            OpenApiParameter("q", str, description="full-text search"),
            OpenApiParameter("sentiment", str, enum=["positive", "neutral", "negative"]),
            OpenApiParameter("source", str),
            OpenApiParameter("since", str, description="ISO 8601"),
            OpenApiParameter("until", str, description="ISO 8601"),
        ],
        responses={
            200: MentionOutSerializer(many=True),
            **{c: ErrorSerializer for c in (400, 401, 404, 429)},
        },
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = insights.MentionFilter(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        project = self.own_project(params.validated_data["project"])
        return insights.filter_mentions(
            Mention.objects.filter(project=project).select_related("project"),
            params.validated_data,
        )
