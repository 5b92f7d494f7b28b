"""Enriching a batch: NLP outside any lock, then claim-and-write in one short transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import ai, nlp
from .models import HourlyRollup, Mention, MentionStatus, TermRollup
from .recordset import jsonb_recordset
from .timegrain import floor_hour

ENRICHED_FIELDS = [
    "status", "enriched_at", "sentiment", "compound", "positive", "neutral", "negative",
    "entities", "hashtags", "keywords", "detected_lang", "ai", "degraded",
]  # fmt: skip


def enrich_batch(mention_ids: Sequence[int]) -> int:
    """Enrich the still-pending mentions among `mention_ids`; return how many this call wrote.

    Running twice is harmless: a mention is written, and counted in the roll-ups, only by the
    call that claims it while it is still pending.
    """
    mentions = list(
        Mention.objects.filter(pk__in=mention_ids, status=MentionStatus.PENDING)
        .select_related("project")
        .order_by("pk")
    )
    if not mentions:
        return 0
    analyses = _analyse(mentions)
    remote = ai.remote_enrich([m.text for m in mentions])
    now = timezone.now()
    with transaction.atomic():
        claimed = set(
            Mention.objects.select_for_update(skip_locked=True)
            .filter(pk__in=[m.pk for m in mentions], status=MentionStatus.PENDING)
            .values_list("pk", flat=True)
        )
        done = [m for m in mentions if m.pk in claimed]
        for index, m in enumerate(mentions):
            if m.pk in claimed:
                _apply(m, analyses[m.pk], remote[index] if remote else None, now)
        write_enriched(done)
        add_to_rollups(done)
    return len(done)


def _analyse(mentions: list[Mention]) -> dict[int, nlp.Analysis]:
    by_project: dict[int, list[Mention]] = defaultdict(list)
    for m in mentions:
        by_project[m.project_id].append(m)
    results: dict[int, nlp.Analysis] = {}
    for group in by_project.values():
        project = group[0].project
        analyses = nlp.analyze(
            [m.text for m in group], tuple(project.brand_terms), tuple(project.product_terms)
        )
        results.update({m.pk: a for m, a in zip(group, analyses, strict=True)})
    return results


def _apply(m: Mention, a: nlp.Analysis, remote: dict | None, now: datetime) -> None:
    m.status = MentionStatus.ENRICHED
    m.enriched_at = now
    m.sentiment = a.sentiment
    m.compound, m.positive, m.neutral, m.negative = a.compound, a.positive, a.neutral, a.negative
    m.entities, m.hashtags, m.keywords = a.entities, a.hashtags, a.keywords
    m.detected_lang = m.lang or a.lang
    m.ai = remote or {}
    m.degraded = bool(settings.SIE_AI_URL) and remote is None


def write_enriched(mentions: list[Mention]) -> None:
    """One UPDATE per batch on PostgreSQL, one executemany on SQLite."""
    if not mentions:
        return
    fields = [Mention._meta.get_field(name) for name in ENRICHED_FIELDS]
    quote = connection.ops.quote_name
    table = quote(Mention._meta.db_table)
    if connection.vendor == "postgresql":
        assignments = ", ".join(f"{quote(f.column)} = r.{quote(f.column)}" for f in fields)
        recordset, param = jsonb_recordset(mentions, fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS m SET {assignments} FROM {recordset} WHERE m.id = r.id",
                [param],
            )
        return
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    rows = [
        [*(f.get_db_prep_save(getattr(m, f.attname), connection) for f in fields), m.pk]
        for m in mentions
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)


ROLLUP_SQL = (
    "INSERT INTO {table} (project_id, bucket, count, compound_sum, positive, neutral, negative)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (project_id, bucket) DO UPDATE SET"
    " count = {table}.count + excluded.count,"
    " compound_sum = {table}.compound_sum + excluded.compound_sum,"
    " positive = {table}.positive + excluded.positive,"
    " neutral = {table}.neutral + excluded.neutral,"
    " negative = {table}.negative + excluded.negative"
)
TERM_SQL = (
    "INSERT INTO {table} (project_id, bucket, kind, text, label, count)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (project_id, bucket, kind, text, label) DO UPDATE SET"
    " count = {table}.count + excluded.count"
)


def add_to_rollups(mentions: Iterable[Mention]) -> None:
    """Additive upserts, so concurrent workers adding to the same hour never lose counts."""
    hours: dict[tuple[int, datetime], list[float]] = defaultdict(lambda: [0, 0.0, 0, 0, 0])
    terms: dict[tuple, int] = defaultdict(int)
    slot = {"positive": 2, "neutral": 3, "negative": 4}
    for m in mentions:
        key = (m.project_id, floor_hour(m.occurred_at))
        row = hours[key]
        row[0] += 1
        row[1] += m.compound or 0.0
        row[slot[m.sentiment]] += 1
        for entity in m.entities:
            if entity["label"] != "HASHTAG":
                terms[(*key, TermRollup.Kind.ENTITY, entity["text"][:200], entity["label"])] += 1
        for tag in m.hashtags:
            terms[(*key, TermRollup.Kind.HASHTAG, tag[:200], "")] += 1
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        if hours:
            cursor.executemany(
                ROLLUP_SQL.format(table=HourlyRollup._meta.db_table),
                [(pid, adapt(at), *row) for (pid, at), row in hours.items()],
            )
        if terms:
            cursor.executemany(
                TERM_SQL.format(table=TermRollup._meta.db_table),
                [
                    (pid, adapt(at), kind, text, label, n)
                    for (pid, at, kind, text, label), n in terms.items()
                ],
            )
