from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

from runbooks.models import Runbook

RunbookWriter = Callable[..., Path]
DEFAULT_BODY = "## Symptoms\n\nIt is slow.\n"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """An empty runbook library directory (the shipped one is never modified by tests)."""
    directory = tmp_path / "library"
    directory.mkdir()
    return directory


@pytest.fixture
def write_runbook(library: Path) -> RunbookWriter:
    """write_runbook("queue-backup", body="...", tags=[...]) -> the .md file it wrote."""

    def write(slug: str, body: str = DEFAULT_BODY, filename: str = "", **front) -> Path:
        meta = {"title": slug.replace("-", " ").capitalize(), "slug": slug, **front}
        path = library / (filename or f"{slug}.md")
        path.write_text(f"---\n{yaml.safe_dump(meta, sort_keys=False)}---\n{body}", "utf-8")
        return path

    return write


@pytest.fixture
def make_runbook(db) -> Callable[..., Runbook]:
    """A runbook row straight in the database, for page/search tests that skip the files."""

    def make(slug: str, title: str = "", body: str = "Nothing here.\n", **fields) -> Runbook:
        return Runbook.objects.create(
            slug=slug,
            title=title or slug,
            body=body,
            source_path=f"{slug}.md",
            content_hash="0" * 64,
            **fields,
        )

    return make


@pytest.fixture
def make_slo(db) -> Callable[..., Any]:
    """An SLO of the slo app naming a runbook; skips where that app has no SLO model yet."""
    slo_models = pytest.importorskip("slo.models", reason="the slo app defines no models yet")

    def make(service: str, name: str, runbook: str) -> Any:
        owner, _ = slo_models.Service.objects.get_or_create(name=service)
        return slo_models.SLO.objects.create(
            service=owner, name=name, sli="ratio", objective=99.5, source="push", runbook=runbook
        )

    return make


@pytest.fixture
def user_client(client: Client, django_user_model) -> Client:
    """Logged in as an ordinary (non-staff) user: enough to read runbook pages."""
    user = django_user_model.objects.create_user("oncall", password="x-not-used")
    client.force_login(user)
    return client
