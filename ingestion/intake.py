"""Accepting mentions: authorise projects, store idempotently, wake a worker on commit."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from . import nudges, recent
from .models import Customer, Mention, MentionStatus, Project
from .recordset import jsonb_recordset

log = structlog.get_logger(__name__)

PENDING_CACHE_SECONDS = 1.0


class UnknownProjects(Exception):
    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields


class ForeignProjects(Exception):
    pass


@dataclass(frozen=True)
class IntakeResult:
    accepted: int
    duplicates: int
    ids: list[int]


def resolve_projects(customer: Customer, mentions: Sequence[dict[str, Any]]) -> dict[str, Project]:
    """Map each slug to the caller's project; unknown slugs -> UnknownProjects, others' -> 403."""
    slugs = {m["project"] for m in mentions}
    projects = {slug: p for slug in slugs if (p := recent.PROJECTS.get(slug)) is not None}
    if missing := slugs - projects.keys():
        for project in Project.objects.filter(slug__in=missing):
            recent.PROJECTS.put(project.slug, project)
            projects[project.slug] = project
    unknown = {
        f"mentions[{i}].project" if len(mentions) > 1 else "project": ["unknown project"]
        for i, m in enumerate(mentions)
        if m["project"] not in projects
    }
    if unknown:
        raise UnknownProjects(unknown)
    if any(p.customer_id != customer.pk for p in projects.values()):
        raise ForeignProjects()
    return projects


_pending_sample: tuple[float, int] = (0.0, 0)


def pending_count() -> int:
    """Mentions waiting for enrichment, up to SIE_QUEUE_MAX_SIZE + 1, sampled at most once a
    second per process. The cap keeps the check cheap however large a backlog grows."""
    global _pending_sample
    sampled_at, count = _pending_sample
    if time.monotonic() - sampled_at > PENDING_CACHE_SECONDS:
        limit = settings.SIE_QUEUE_MAX_SIZE + 1
        count = Mention.objects.filter(status=MentionStatus.PENDING)[:limit].count()
        _pending_sample = (time.monotonic(), count)
    return count


def _build(mention: dict[str, Any], project: Project, now: Any) -> Mention:
    posted_at = mention.get("posted_at")
    return Mention(
        project=project,
        external_id=mention["external_id"],
        text=mention["text"],
        source=mention.get("source", ""),
        author=mention.get("author", ""),
        url=mention.get("url", ""),
        posted_at=posted_at,
        lang=mention.get("lang", ""),
        metadata=mention.get("metadata") or {},
        received_at=now,
        occurred_at=posted_at or now,
        queued_at=now,
    )


def _insert_new(rows: list[Mention]) -> dict[tuple[int, str], int]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the unique constraint, not a prior SELECT,
    decides what is new, so concurrent requests with the same external_id store it once."""
    fields = [f for f in Mention._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    if connection.vendor == "postgresql":
        recordset, param = jsonb_recordset(rows, fields)
        source, params = f"SELECT {columns} FROM {recordset}", [param]
    else:
        source, params = _values_source(rows, fields)
    sql = (
        f"INSERT INTO {quote(Mention._meta.db_table)} ({columns}) {source}"
        " ON CONFLICT (project_id, external_id) DO NOTHING"
        " RETURNING id, project_id, external_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(pid, ext): pk for pk, pid, ext in cursor.fetchall()}


def _values_source(rows: list[Mention], fields: list[Field]) -> tuple[str, list[Any]]:
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params = [f.get_db_prep_save(getattr(r, f.attname), connection) for r in rows for f in fields]
    return "VALUES " + ", ".join([row_sql] * len(rows)), params


def accept(customer: Customer, mentions: Sequence[dict[str, Any]]) -> IntakeResult:
    """Store validated mentions once each (pending: the enrichment queue), then nudge."""
    projects = resolve_projects(customer, mentions)
    project_ids = sorted(p.pk for p in projects.values())
    structlog.contextvars.bind_contextvars(
        project_id=project_ids[0] if len(project_ids) == 1 else project_ids
    )
    now = timezone.now()
    unique: dict[tuple[int, str], Mention] = {}
    for m in mentions:
        project = projects[m["project"]]
        unique.setdefault((project.pk, m["external_id"]), _build(m, project, now))
    # One INSERT statement is atomic by itself: no explicit transaction (and its two extra
    # round trips) is needed; on_commit then fires once the statement has committed.
    inserted = _insert_new(list(unique.values()))
    if inserted:
        # The rows are the queue; a worker only needs waking (coalesced, see nudges).
        transaction.on_commit(nudges.nudge)
    ids = _ids_in_order(mentions, projects, inserted)
    return IntakeResult(accepted=len(inserted), duplicates=len(mentions) - len(inserted), ids=ids)


def _ids_in_order(
    mentions: Sequence[dict[str, Any]],
    projects: dict[str, Project],
    inserted: dict[tuple[int, str], int],
) -> list[int]:
    keys = [(projects[m["project"]].pk, m["external_id"]) for m in mentions]
    known = dict(inserted)
    missing = [k for k in keys if k not in known]
    if missing:
        rows = Mention.objects.filter(
            project_id__in={k[0] for k in missing}, external_id__in={k[1] for k in missing}
        ).values_list("project_id", "external_id", "id")
        known.update({(pid, ext): pk for pid, ext, pk in rows})
    return [known[k] for k in keys]
