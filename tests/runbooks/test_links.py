from __future__ import annotations

import pytest
from django.utils import timezone

from runbooks import links

pytestmark = pytest.mark.django_db


def test_resolve_returns_an_active_runbook_by_slug():
    runbook = links.resolve("queue-backup")

    assert runbook is not None
    assert runbook.title == "Queue backup and dead-letter growth"


def test_resolve_returns_none_for_unknown_blank_or_archived_slugs(make_runbook):
    make_runbook("old-way", archived_at=timezone.now())

    assert links.resolve("no-such-runbook") is None
    assert links.resolve("") is None
    assert links.resolve("old-way") is None


def test_absolute_url_joins_the_site_url_and_the_page_path(settings):
    settings.SITE_URL = "https://sie.example.com"

    assert links.absolute_url("queue-backup") == "https://sie.example.com/runbooks/queue-backup/"


def test_absolute_url_rejects_what_cannot_be_a_runbook_slug():
    for bad in ["", "Queue Backup", "../admin"]:
        with pytest.raises(ValueError, match="not a runbook slug"):
            links.absolute_url(bad)


def test_linked_slos_lists_the_slos_that_name_the_runbook(make_slo):
    checkout = make_slo("checkout", "availability", runbook="disk-full")
    make_slo("checkout", "latency", runbook="high-latency")
    search = make_slo("search", "availability", runbook="disk-full")

    assert links.linked_slos("disk-full") == [checkout, search]
    assert links.linked_slos("no-slo-links-this") == []
