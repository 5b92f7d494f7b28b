"""Runbooks synced from runbooks/library/*.md, and one revision row per content change."""

from __future__ import annotations

import json
import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connections, models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.urls import reverse

# Runbook slugs and tags: lowercase words joined by hyphens (stricter than SlugField).
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Stemming config of the full-text search; migration 0002 indexes the same expression.
SEARCH_CONFIG = "english"


def search_vector() -> SearchVector:
    """Title outranks tags, tags outrank body. Must stay identical to migration 0002's
    GIN index expression, or PostgreSQL stops using the index."""
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("tags", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="C", config=SEARCH_CONFIG)
    )


class RunbookQuerySet(models.QuerySet["Runbook"]):
    def active(self) -> RunbookQuerySet:
        return self.filter(archived_at=None)

    def tagged(self, tag: str) -> RunbookQuerySet:
        # Tags are stored as a JSON list of slugs. JSONField `contains` is PostgreSQL-only,
        # so match the quoted element in the JSON text instead: with slug-only tags,
        # '"dlq"' appears in the text exactly when "dlq" is an element.
        return self.filter(tags__icontains=json.dumps(tag))

    def search(self, text: str) -> RunbookQuerySet:
        """Runbooks matching `text`, best first: ranked full-text search on PostgreSQL,
        a substring match with title hits first on SQLite."""
        if connections[self.db].vendor == "postgresql":
            return self._search_fulltext(text)
        return self._search_substring(text)

    def _search_fulltext(self, text: str) -> RunbookQuerySet:
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        return (
            self.annotate(document=search_vector())
            .filter(document=query)
            .annotate(rank=SearchRank(F("document"), query))
            .order_by("-rank", "title")
        )

    def _search_substring(self, text: str) -> RunbookQuerySet:
        terms = text.split()
        if not terms:
            return self.none()
        matches = Q()
        score: models.Expression = Value(0)
        for term in terms:
            matches &= Q(title__icontains=term) | Q(tags__icontains=term) | Q(body__icontains=term)
            score = score + _field_weight("title", term, 4) + _field_weight("tags", term, 2)
            score = score + _field_weight("body", term, 1)
        return self.filter(matches).annotate(rank=score).order_by("-rank", "title")


def _field_weight(field: str, term: str, weight: int) -> Case:
    return Case(
        When(**{f"{field}__icontains": term}, then=Value(weight)),
        default=Value(0),
        output_field=IntegerField(),
    )


class Runbook(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    tags = models.JSONField(default=list, blank=True)
    services = models.JSONField(default=list, blank=True)
    alerts = models.JSONField(default=list, blank=True, help_text="alert rule names")
    body = models.TextField(help_text="Markdown, without the front matter")
    source_path = models.CharField(max_length=300, help_text="file name within the library")
    content_hash = models.CharField(max_length=64, help_text="sha256 of the whole file")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Removed from the library: kept, with its history, so old links still explain themselves.
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = RunbookQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("runbooks:detail", args=[self.slug])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class RunbookRevision(models.Model):
    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    source = models.TextField(help_text="the whole file as synced, front matter included")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["runbook", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["runbook", "number"], name="runbook_revision_number"),
        ]

    def __str__(self) -> str:
        return f"{self.runbook.slug} r{self.number}"
