"""Read side: insights from the hourly roll-ups, and the filtered mention list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDay
from rest_framework import serializers

from .models import HourlyRollup, Mention, MentionStatus, Project, TermRollup
from .serializers import BoundedDateTimeField
from .timegrain import ceil_hour, floor_hour

TOP_N = 10
# 'simple' (no stemming, no stop words) because mentions arrive in many languages.
FTS_CONFIG = "simple"


def _range(field: str, since: datetime | None, until: datetime | None) -> Q:
    q = Q()
    if since:
        q &= Q(**{f"{field}__gte": since})
    if until:
        q &= Q(**{f"{field}__lt": until})
    return q


def summarise(
    project: Project, since: datetime | None, until: datetime | None, interval: str
) -> dict[str, Any]:
    """Insights over [since, until), widened to whole hours (the roll-ups' grain)."""
    since = floor_hour(since) if since else None
    until = ceil_hour(until) if until else None
    rollups = HourlyRollup.objects.filter(_range("bucket", since, until), project=project)
    series, totals = _series(rollups, interval)
    # One count per status so each uses its own small partial index; `status IN (…)`
    # matches neither and scans every stored mention.
    waiting = Mention.objects.filter(_range("occurred_at", since, until), project=project)
    pending = waiting.filter(status=MentionStatus.PENDING).count()
    failed = waiting.filter(status=MentionStatus.FAILED).count()
    terms = TermRollup.objects.filter(_range("bucket", since, until), project=project)
    return {
        "project": project.slug,
        "since": since,
        "until": until,
        "total": totals["count"] + pending + failed,
        "enriched": totals["count"],
        "pending": pending,
        "failed": failed,
        "sentiment": {
            "positive": totals["positive"],
            "neutral": totals["neutral"],
            "negative": totals["negative"],
            "mean_compound": _mean(totals["compound_sum"], totals["count"]),
        },
        "series": series,
        "top_entities": [
            {"text": t, "label": label, "count": n}
            for t, label, n in _top(terms.filter(kind=TermRollup.Kind.ENTITY))
        ],
        "top_hashtags": [
            {"tag": t, "count": n} for t, _, n in _top(terms.filter(kind=TermRollup.Kind.HASHTAG))
        ],
    }


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 4) if count else None


def _series(rollups: QuerySet[HourlyRollup], interval: str) -> tuple[list[dict], dict]:
    """Buckets and totals summed by the database; Python only shapes the answer."""
    totals = rollups.aggregate(
        count=Coalesce(Sum("count"), 0),
        compound_sum=Coalesce(Sum("compound_sum"), 0.0),
        positive=Coalesce(Sum("positive"), 0),
        neutral=Coalesce(Sum("neutral"), 0),
        negative=Coalesce(Sum("negative"), 0),
    )
    if interval == "day":
        rows = (
            rollups.annotate(at=TruncDay("bucket"))
            .values("at")
            .annotate(n=Sum("count"), c=Sum("compound_sum"))
            .order_by("at")
            .values_list("at", "n", "c")
        )
    else:
        rows = rollups.order_by("bucket").values_list("bucket", "count", "compound_sum")
    series = [{"bucket": at, "count": n, "mean_compound": _mean(c, n)} for at, n, c in rows]
    return series, totals


def _top(terms: QuerySet[TermRollup]) -> list[tuple[str, str, int]]:
    rows = (
        terms.values("text", "label")
        .annotate(n=Sum("count"))
        .order_by("-n", "text")
        .values_list("text", "label", "n")[:TOP_N]
    )
    return list(rows)


class MentionFilter(serializers.Serializer):
    project = serializers.SlugField(max_length=64)
    q = serializers.CharField(max_length=200, required=False)
    sentiment = serializers.ChoiceField(choices=["positive", "neutral", "negative"], required=False)
    source = serializers.CharField(max_length=64, required=False)
    since = BoundedDateTimeField(required=False)
    until = BoundedDateTimeField(required=False)


def filter_mentions(qs: QuerySet[Mention], params: dict[str, Any]) -> QuerySet[Mention]:
    qs = qs.filter(_range("occurred_at", params.get("since"), params.get("until")))
    if params.get("sentiment"):
        qs = qs.filter(sentiment=params["sentiment"])
    if params.get("source"):
        qs = qs.filter(source=params["source"])
    if params.get("q"):
        qs = search(qs, params["q"])
    return qs


def search(qs: QuerySet[Mention], text: str) -> QuerySet[Mention]:
    if connection.vendor == "postgresql":
        # Same expression as the GIN index "mention_text_fts", so the planner can use it.
        vector = SearchVector("text", config=FTS_CONFIG)
        query = SearchQuery(text, config=FTS_CONFIG, search_type="websearch")
        return qs.annotate(fts=vector).filter(fts=query)
    for word in text.split():
        qs = qs.filter(text__icontains=word)
    return qs
