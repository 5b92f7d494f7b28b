"""The one way other apps link a runbook: by slug.

SLOs, alert rules and incidents store a runbook slug (a plain SlugField, no foreign key, so
runbooks stays a leaf and a runbook can be written after the rule that names it):

    from runbooks import links

    links.resolve(slo.runbook)        # the active Runbook, or None (unknown or archived)
    links.absolute_url(slo.runbook)   # "https://sie.example.com/runbooks/queue-backup/"

linked_slos() lists the SLOs that name a runbook (its page shows them).
absolute_url() is what goes into PagerDuty events' `links` and notifications; it does not
check that the runbook exists, so a link built before a sync still works after it.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.urls import reverse

from .models import SLUG_RE, Runbook


def resolve(slug: str) -> Runbook | None:
    """The active runbook with this slug, or None (blank, unknown or archived)."""
    if not slug:
        return None
    return Runbook.objects.active().filter(slug=slug).first()


def absolute_url(slug: str) -> str:
    """settings.SITE_URL + the runbook page path; ValueError for a blank or malformed slug."""
    if not SLUG_RE.match(slug or ""):
        raise ValueError(f"{slug!r} is not a runbook slug")
    return settings.SITE_URL + reverse("runbooks:detail", args=[slug])


def linked_slos(slug: str) -> list[Any]:
    """The SLOs whose `runbook` names this slug, for the runbook page's backlinks."""
    # Looked up by name, not imported: slo depends on runbooks (never the reverse), and
    # runbooks must keep working in a project where the slo app or its model is absent.
    try:
        slo_model = apps.get_model("slo", "SLO")
    except LookupError:
        return []
    slos = slo_model.objects.filter(runbook=slug).select_related("service")
    return list(slos.order_by("service__name", "name"))
