"""SRE API: GET /api/v1/runbooks[/{slug}[/revisions]] (staff; session or token auth).

Read-only on purpose: runbooks are edited as Markdown in git and synced, so an API write
would be overwritten by the next `manage.py sync_runbooks`.
"""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from . import links
from .models import Runbook, RunbookRevision


class RunbookSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="the runbook page, as PagerDuty links it")
    revision = serializers.IntegerField(read_only=True, help_text="current revision number")

    class Meta:
        model = Runbook
        fields = ["slug", "title", "tags", "services", "alerts", "body", "url", "revision",
                  "source_path", "archived_at", "updated_at"]  # fmt: skip
        read_only_fields = fields

    def get_url(self, runbook: Runbook) -> str:
        return links.absolute_url(runbook.slug)


class RevisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunbookRevision
        fields = ["number", "content_hash", "created_at", "source"]
        read_only_fields = fields


LIST_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="full-text search, best match first"),
    OpenApiParameter("tag", OpenApiTypes.STR, description="only runbooks with this tag"),
    OpenApiParameter("archived", OpenApiTypes.BOOL, description="include archived runbooks"),
]


class RunbookViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RunbookSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[a-z0-9-]+"

    def get_queryset(self) -> QuerySet[Runbook]:
        latest = RunbookRevision.objects.filter(runbook=OuterRef("pk")).order_by("-number")
        runbooks = Runbook.objects.annotate(revision=Subquery(latest.values("number")[:1]))
        if self.action != "list":
            return runbooks  # an archived runbook is still readable by its slug
        return self._filter_list(runbooks, self.request.query_params)

    def _filter_list(self, runbooks: QuerySet[Runbook], params: dict) -> QuerySet[Runbook]:
        if params.get("archived", "").lower() not in {"1", "true", "yes"}:
            runbooks = runbooks.active()
        if params.get("tag"):
            runbooks = runbooks.tagged(params["tag"])
        if params.get("q", "").strip():
            runbooks = runbooks.search(params["q"].strip())
        return runbooks

    @extend_schema(parameters=LIST_PARAMETERS)
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=RevisionSerializer(many=True))
    @action(detail=True)
    def revisions(self, request: Request, slug: str) -> Response:
        revisions = self.get_object().revisions.order_by("-number")
        return Response(RevisionSerializer(revisions, many=True).data)


router = SimpleRouter(trailing_slash=False)
router.register("runbooks", RunbookViewSet, basename="api-runbook")
urlpatterns = router.urls
