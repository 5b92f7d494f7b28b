"""Runbooks as code: read runbooks/library/*.md (YAML front matter + Markdown) into the database.

A library file looks like:

    ---
    title: Queue backup and dead-letter growth
    slug: queue-backup
    tags: [queue, celery, dlq]
    services: [sie-ingestion]
    alerts: ["queue depth > 10K for 15 min"]
    ---
    ## Symptoms
    ...

Syncing is idempotent: a file whose content did not change writes nothing, a changed file
gets a new RunbookRevision, a runbook whose file left the library is archived (never deleted,
its history stays), and an invalid file is reported with its file and field while every
other file still syncs.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from .models import SLUG_RE, Runbook, RunbookRevision

log = logging.getLogger(__name__)

LIBRARY_DIR = Path(__file__).resolve().parent / "library"
LIST_FIELDS = ("tags", "services", "alerts")
KNOWN_FIELDS = {"title", "slug", *LIST_FIELDS}


@dataclass(frozen=True)
class SyncError:
    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


class InvalidRunbook(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RunbookFile:
    path: str
    slug: str
    title: str
    tags: list[str]
    services: list[str]
    alerts: list[str]
    body: str
    source: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[SyncError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.restored or self.archived)

    def summary(self) -> str:
        counts = {
            "created": len(self.created),
            "updated": len(self.updated),
            "restored": len(self.restored),
            "archived": len(self.archived),
            "unchanged": len(self.unchanged),
            "invalid": len(self.errors),
        }
        return ", ".join(f"{n} {what}" for what, n in counts.items())


def parse(path: str, source: str) -> RunbookFile:
    """One library file -> RunbookFile; raises InvalidRunbook naming the offending field."""
    try:
        post = frontmatter.loads(source)
    except yaml.YAMLError as exc:
        raise InvalidRunbook("front matter", f"not valid YAML ({_first_line(exc)})") from None
    meta: dict[str, Any] = post.metadata
    unknown = sorted(set(meta) - KNOWN_FIELDS)
    if unknown:
        raise InvalidRunbook(
            unknown[0], f"unknown field (allowed: {', '.join(sorted(KNOWN_FIELDS))})"
        )
    if not post.content.strip():
        raise InvalidRunbook("body", "the runbook has no Markdown body")
    return RunbookFile(
        path=path,
        slug=_slug(meta),
        title=_title(meta),
        tags=_string_list(meta, "tags", slugs=True),
        services=_string_list(meta, "services"),
        alerts=_string_list(meta, "alerts"),
        body=post.content.strip() + "\n",
        source=source,
    )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def _title(meta: dict[str, Any]) -> str:
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InvalidRunbook("title", "required, a non-empty string")
    if len(title) > 200:
        raise InvalidRunbook("title", "at most 200 characters")
    return title.strip()


def _slug(meta: dict[str, Any]) -> str:
    slug = meta.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or len(slug) > 100:
        raise InvalidRunbook("slug", "required, lowercase letters, digits and hyphens")
    return slug


def _string_list(meta: dict[str, Any], name: str, *, slugs: bool = False) -> list[str]:
    value = meta.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidRunbook(name, "must be a list of non-empty strings")
    if slugs and not all(SLUG_RE.match(v) for v in value):
        raise InvalidRunbook(name, "each tag is lowercase letters, digits and hyphens")
    return [v.strip() for v in value]


def read_library(directory: Path) -> tuple[list[RunbookFile], list[SyncError]]:
    """Every *.md file of `directory`, parsed; invalid files come back as errors."""
    if not directory.is_dir():
        raise FileNotFoundError(f"runbook library {directory} is not a directory")
    files: list[RunbookFile] = []
    errors: list[SyncError] = []
    seen: dict[str, str] = {}
    for file in sorted(directory.glob("*.md")):
        try:
            runbook = parse(file.name, file.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            errors.append(SyncError(file.name, "file", "not UTF-8 text"))
            continue
        except InvalidRunbook as exc:
            errors.append(SyncError(file.name, exc.field, exc.message))
            continue
        if runbook.slug in seen:
            errors.append(
                SyncError(
                    file.name, "slug", f"{runbook.slug!r} is also used by {seen[runbook.slug]}"
                )
            )
            continue
        seen[runbook.slug] = file.name
        files.append(runbook)
    return files, errors


def sync_library(directory: Path = LIBRARY_DIR) -> SyncReport:
    """Make the database match `directory`: create, revise, restore and archive runbooks.

    Running it twice in a row changes nothing the second time."""
    files, errors = read_library(directory)
    report = SyncReport(errors=errors)
    for runbook_file in files:
        _sync_file(runbook_file, report)
    _archive_missing(files, errors, report)
    for error in errors:
        log.warning("invalid runbook %s", error)
    return report


def _sync_file(runbook_file: RunbookFile, report: SyncReport) -> None:
    try:
        _upsert(runbook_file, report)
    except IntegrityError:
        # Another process syncing at the same moment (two containers running migrate)
        # created this slug first; its row is committed now, so a second pass updates it.
        _upsert(runbook_file, report)


@transaction.atomic
def _upsert(runbook_file: RunbookFile, report: SyncReport) -> None:
    # The row lock serialises concurrent syncs, so revision numbers never collide.
    runbook = Runbook.objects.select_for_update().filter(slug=runbook_file.slug).first()
    if runbook is None:
        runbook = Runbook.objects.create(**_fields(runbook_file))
        _add_revision(runbook, runbook_file, number=1)
        report.created.append(runbook.slug)
        log.debug("runbook created slug=%s path=%s", runbook.slug, runbook_file.path)
        return
    content_changed = runbook.content_hash != runbook_file.content_hash
    was_archived = runbook.is_archived
    if not (content_changed or was_archived or runbook.source_path != runbook_file.path):
        report.unchanged.append(runbook.slug)
        return
    fields = _fields(runbook_file)
    for name, value in fields.items():
        setattr(runbook, name, value)
    runbook.archived_at = None
    runbook.save(update_fields=[*fields, "archived_at", "updated_at"])
    if content_changed:
        _add_revision(runbook, runbook_file, number=_last_revision(runbook) + 1)
    (report.restored if was_archived else report.updated).append(runbook.slug)
    log.debug("runbook updated slug=%s content_changed=%s", runbook.slug, content_changed)


def _fields(runbook_file: RunbookFile) -> dict[str, Any]:
    return {
        "slug": runbook_file.slug,
        "title": runbook_file.title,
        "tags": runbook_file.tags,
        "services": runbook_file.services,
        "alerts": runbook_file.alerts,
        "body": runbook_file.body,
        "source_path": runbook_file.path,
        "content_hash": runbook_file.content_hash,
    }


def _last_revision(runbook: Runbook) -> int:
    return runbook.revisions.order_by("-number").values_list("number", flat=True).first() or 0


def _add_revision(runbook: Runbook, runbook_file: RunbookFile, number: int) -> None:
    RunbookRevision.objects.create(
        runbook=runbook,
        number=number,
        content_hash=runbook_file.content_hash,
        source=runbook_file.source,
    )


def _archive_missing(files: list[RunbookFile], errors: list[SyncError], report: SyncReport) -> None:
    # A file that is present but invalid keeps its last good version live: a typo in the
    # front matter must not take a runbook away from the on-call engineer.
    gone = (
        Runbook.objects.active()
        .exclude(slug__in=[f.slug for f in files])
        .exclude(source_path__in=[e.path for e in errors])
    )
    slugs = sorted(gone.values_list("slug", flat=True))
    Runbook.objects.filter(slug__in=slugs).update(archived_at=timezone.now())
    report.archived.extend(slugs)
    for slug in slugs:
        log.debug("runbook archived slug=%s", slug)


def sync_after_migrate(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate receiver: keep the shipped library in the database, quietly."""
    if using != DEFAULT_DB_ALIAS or not _runbooks_migrated(using):
        return
    report = sync_library(LIBRARY_DIR)
    log.debug("runbook library synced after migrate: %s", report.summary())


def _runbooks_migrated(using: str) -> bool:
    # post_migrate also fires after `migrate runbooks zero` or a partial migrate; the models
    # only match the tables once every runbooks migration is applied.
    executor = MigrationExecutor(connections[using])
    return not executor.migration_plan(executor.loader.graph.leaf_nodes("runbooks"))
