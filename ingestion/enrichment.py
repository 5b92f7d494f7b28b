"""Enriching pending mentions: lease a batch, NLP outside any transaction, one guarded write."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

import structlog
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from . import ai, leases, nlp, recovery
from .models import HourlyRollup, Mention, MentionStatus, TermRollup
from .recordset import jsonb_recordset
from .timegrain import floor_hour

log = structlog.get_logger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError)
DEAD_LETTER_TASK = "ingestion.enrich_pending"
# Texts per nlp.analyze call: the granularity at which the batch time budget is checked.
ANALYSE_CHUNK = 50
ANALYSE_CHUNK_CHARS = 20_000

ENRICHED_FIELDS = [
    "status", "enriched_at", "sentiment", "compound", "positive", "neutral", "negative",
    "entities", "hashtags", "keywords", "detected_lang", "ai", "degraded",
]  # fmt: skip


def enrich_pending(seconds: float | None = None) -> int:
    """Claim and enrich batches until nothing is pending or `seconds` have passed; return how
    many mentions this call enriched. Mentions posted meanwhile are picked up by this loop."""
    deadline = time.monotonic() + (seconds or settings.SIE_ENRICH_RUN_SECONDS)
    done = 0
    while time.monotonic() < deadline:
        lease = leases.claim(settings.SIE_ENRICH_BATCH_SIZE)
        if not lease.ids:
            break
        done += enrich_leased(lease)
    return done


def enrich_batch(mention_ids: Sequence[int]) -> int:
    """Enrich the still-pending, unleased mentions among `mention_ids`; return how many."""
    return enrich_leased(leases.claim_ids(list(mention_ids)))


def enrich_leased(lease: leases.Lease) -> int:
    """NLP outside any transaction, then one guarded write. A batch that fails for a
    non-transient reason is bisected until the failing mention alone is dead-lettered."""
    mentions = list(
        Mention.objects.filter(pk__in=lease.ids, claim_token=lease.token)
        .select_related("project")
        .order_by("pk")
    )
    return _enrich_or_isolate(lease, mentions)


def _enrich_or_isolate(lease: leases.Lease, mentions: list[Mention]) -> int:
    if not mentions:
        return 0
    try:
        return _enrich(lease, mentions)
    except TRANSIENT_ERRORS:
        raise  # the task retries with backoff; the leases expire meanwhile
    except Exception as exc:
        if len(mentions) == 1:
            log.warning("poison mention dead-lettered", mention_id=mentions[0].pk, error=repr(exc))
            recovery.dead_letter(DEAD_LETTER_TASK, [mentions[0].pk], exc, attempts=1)
            return 0
        half = len(mentions) // 2
        return _enrich_or_isolate(lease, mentions[:half]) + _enrich_or_isolate(
            lease, mentions[half:]
        )


def _enrich(lease: leases.Lease, mentions: list[Mention]) -> int:
    analyses, unfinished = _analyse(mentions, time.monotonic() + settings.SIE_ENRICH_BATCH_SECONDS)
    if unfinished:
        # Out of time (hostile texts): hand the rest back so other work gets its turn.
        leases.release(lease, [m.pk for m in unfinished])
        mentions = [m for m in mentions if m.pk in analyses]
    remote = ai.remote_enrich([m.text for m in mentions])
    now = timezone.now()
    for index, m in enumerate(mentions):
        _apply(m, analyses[m.pk], remote[index] if remote else None, now)
    with transaction.atomic():
        written = write_enriched(mentions, lease.token)
        add_to_rollups([m for m in mentions if m.pk in written])
    return len(written)


def _analyse(
    mentions: list[Mention], deadline: float
) -> tuple[dict[int, nlp.Analysis], list[Mention]]:
    """Analyses by mention id, chunk by chunk until `deadline`; and what is left over.
    Cheap chunks go first, so a customer's hostile texts (long, punctuation- or emoji-heavy)
    spend the time budget only after everyone else's mentions in the batch are done."""
    results: dict[int, nlp.Analysis] = {}
    chunks = sorted(_chunks(mentions), key=lambda chunk: sum(len(m.text) for m in chunk))
    for n, chunk in enumerate(chunks):
        if results and time.monotonic() > deadline:
            return results, [m for rest in chunks[n:] for m in rest]
        project = chunk[0].project
        analyses = nlp.analyze(
            [m.text for m in chunk], tuple(project.brand_terms), tuple(project.product_terms)
        )
        results.update({m.pk: a for m, a in zip(chunk, analyses, strict=True)})
    return results, []


def _chunks(mentions: list[Mention]) -> list[list[Mention]]:
    """Per project, at most ANALYSE_CHUNK mentions or ANALYSE_CHUNK_CHARS characters each."""
    chunks: list[list[Mention]] = []
    open_chunk: dict[int, list[Mention]] = {}
    for m in mentions:
        chunk = open_chunk.get(m.project_id)
        if chunk is None or len(chunk) >= ANALYSE_CHUNK or (
            sum(len(x.text) for x in chunk) + len(m.text) > ANALYSE_CHUNK_CHARS
        ):
            chunk = open_chunk[m.project_id] = []
            chunks.append(chunk)
        chunk.append(m)
    return chunks


def _apply(m: Mention, a: nlp.Analysis, remote: dict | None, now: datetime) -> None:
    m.status = MentionStatus.ENRICHED
    m.enriched_at = now
    m.sentiment = a.sentiment
    m.compound, m.positive, m.neutral, m.negative = a.compound, a.positive, a.neutral, a.negative
    m.entities, m.hashtags, m.keywords = a.entities, a.hashtags, a.keywords
    m.detected_lang = m.lang or a.lang
    m.ai = remote or {}
    m.degraded = bool(settings.SIE_AI_URL) and remote is None


def write_enriched(mentions: list[Mention], token: str) -> set[int]:
    """Write the rows still leased under `token` (one UPDATE on PostgreSQL, an executemany
    on SQLite, whose write lock is held from BEGIN); return their ids. A lease that expired
    and was claimed again by another worker no longer matches, so its mention is skipped."""
    if not mentions:
        return set()
    fields = [Mention._meta.get_field(name) for name in ENRICHED_FIELDS]
    quote = connection.ops.quote_name
    table = quote(Mention._meta.db_table)
    guard = f"status = '{MentionStatus.PENDING.value}' AND claim_token = %s"
    if connection.vendor == "postgresql":
        assignments = ", ".join(f"{quote(f.column)} = r.{quote(f.column)}" for f in fields)
        recordset, param = jsonb_recordset(mentions, fields)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS m SET {assignments}, claimed_until = NULL, claim_token = ''"
                f" FROM {recordset} WHERE m.id = r.id AND m.{guard} RETURNING m.id",
                [param, token],
            )
            return {row[0] for row in cursor.fetchall()}
    held = set(
        Mention.objects.filter(pk__in=[m.pk for m in mentions], claim_token=token)
        .filter(status=MentionStatus.PENDING)
        .values_list("pk", flat=True)
    )
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    rows = [
        [*(f.get_db_prep_save(getattr(m, f.attname), connection) for f in fields), m.pk, token]
        for m in mentions
        if m.pk in held
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {assignments}, claimed_until = NULL, claim_token = ''"
            f" WHERE id = %s AND {guard}",
            rows,
        )
    return held


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
