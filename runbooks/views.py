"""Runbook pages for anyone logged in: the searchable list and one rendered runbook."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe

from . import links
from .models import Runbook
from .rendering import render_markdown, revision_diffs

MAX_QUERY_LENGTH = 200


@login_required
def runbook_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    tag = request.GET.get("tag", "").strip()
    runbooks = Runbook.objects.active()
    if tag:
        runbooks = runbooks.tagged(tag)
    if query:
        runbooks = runbooks.search(query)
    context = {"runbooks": runbooks, "query": query, "tag": tag, "all_tags": _all_tags()}
    return render(request, "runbooks/list.html", context)


def _all_tags() -> list[str]:
    # The library holds tens of runbooks, so collecting tags in Python is cheaper than a
    # tag table that sync would have to keep in step.
    tag_lists = Runbook.objects.active().values_list("tags", flat=True)
    return sorted({tag for tags in tag_lists for tag in tags})


@login_required
def runbook_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Archived runbooks still render (with a notice): old pages and incidents link to them.
    runbook = get_object_or_404(Runbook, slug=slug)
    revisions = list(runbook.revisions.order_by("number"))
    diffs = revision_diffs([(r.number, r.source) for r in revisions])
    created = {r.number: r.created_at for r in revisions}
    context = {
        "runbook": runbook,
        # Safe: render_markdown escapes raw HTML and nh3 sanitises what Markdown produced.
        "body_html": mark_safe(render_markdown(runbook.body)),  # noqa: S308
        "history": [(diff, created[diff.number]) for diff in diffs],
        "slos": links.linked_slos(runbook.slug),
    }
    return render(request, "runbooks/detail.html", context)
