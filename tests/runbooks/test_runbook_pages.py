from __future__ import annotations

from html.parser import HTMLParser
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from runbooks.models import Runbook
from runbooks.sync import LIBRARY_DIR
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db

XSS_BODY = """\
## Diagnosis

<script>alert("body")</script>
<img src=x onerror="alert('img')">
<a href="javascript:alert('raw')">raw link</a>
[markdown link](javascript:alert('md'))
[shouting link](JaVaScRiPt:alert('case'))
[encoded link](&#106;avascript:alert('entity'))
![image](javascript:alert('image'))
<svg onload="alert('svg')"></svg>
"""


class TagCollector(HTMLParser):
    """Every start tag with its attributes, as a browser would build them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def tags_of(html: str) -> list[tuple[str, dict[str, str]]]:
    collector = TagCollector()
    collector.feed(html)
    return collector.tags


def listed_slugs(response) -> list[str]:
    return list(response.context["runbooks"].values_list("slug", flat=True))


def test_pages_redirect_anonymous_visitors_to_the_admin_login(client):
    for url in ["/runbooks/", "/runbooks/queue-backup/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next={url}"


def test_any_logged_in_user_sees_the_whole_shipped_library(user_client):
    response = user_client.get("/runbooks/")

    assert response.status_code == 200
    shipped = sorted(path.stem for path in LIBRARY_DIR.glob("*.md"))
    assert sorted(listed_slugs(response)) == shipped
    for slug in shipped:
        assert f'href="/runbooks/{slug}/"' in response.content.decode()


def test_the_tag_filter_keeps_only_runbooks_with_that_exact_tag(user_client, make_runbook):
    make_runbook("disk-full", tags=["disk", "storage"])
    make_runbook("disk-slow", tags=["disks"])  # a longer tag must not match "disk"

    response = user_client.get("/runbooks/", {"tag": "disk"})

    assert listed_slugs(response) == ["disk-full"]
    assert "storage" in response.context["all_tags"]


def test_search_ranks_a_title_hit_above_a_tag_hit_above_a_body_hit(user_client, make_runbook):
    # Alphabetical order is the reverse of the expected ranking, so only rank can explain it.
    make_runbook("aaa-body", title="Aaa procedures", body="Land the zeppelin slowly.\n")
    make_runbook("bbb-tag", title="Bbb procedures", tags=["zeppelin"])
    make_runbook("zzz-title", title="Zeppelin landing")
    make_runbook("unrelated", title="Unrelated")

    response = user_client.get("/runbooks/", {"q": "zeppelin"})

    assert listed_slugs(response) == ["zzz-title", "bbb-tag", "aaa-body"]


def test_search_finds_the_dead_letter_runbook_by_its_command(user_client):
    response = user_client.get("/runbooks/", {"q": "replay_dlq"})

    assert "queue-backup" in listed_slugs(response)


def test_search_with_no_match_says_so(user_client):
    response = user_client.get("/runbooks/", {"q": "xylophone"})

    assert listed_slugs(response) == []
    assert "No runbook matches" in response.content.decode()


@requires_postgres
def test_full_text_search_can_use_the_gin_index_on_postgresql(make_runbook):
    with connection.cursor() as cursor:
        # A handful of rows never needs the index; forbid sequential scans to prove the
        # search expression matches the indexed one (otherwise the index is dead weight).
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Runbook.objects.search("queue backlog").explain()
    assert "runbook_search_fts" in plan


def test_the_page_renders_markdown_with_anchored_headings(user_client, make_runbook):
    make_runbook("disk-full", body="## Diagnosis\n\nRun `df -h`.\n\n### Disk usage\n")

    html = user_client.get("/runbooks/disk-full/").content.decode()

    assert '<h2 id="diagnosis">Diagnosis <a href="#diagnosis" class="anchor"' in html
    assert '<h3 id="disk-usage">' in html and 'href="#disk-usage"' in html
    assert "<code>df -h</code>" in html


def test_scripts_event_handlers_and_javascript_links_never_reach_the_browser(
    user_client, make_runbook
):
    make_runbook("evil", title='<script>alert("title")</script>', body=XSS_BODY)

    html = user_client.get("/runbooks/evil/").content.decode()

    tags = tags_of(html)
    assert not [t for t, _ in tags if t in {"script", "svg", "iframe", "object"}]
    assert not [(t, a) for t, a in tags if any(name.startswith("on") for name in a)]
    urls = [a.get("href", "") + a.get("src", "") for _, a in tags]
    assert not [u for u in urls if "javascript:" in u.lower().replace("&#106;", "j")]
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in html  # shown as text


def test_the_revision_history_shows_escaped_diffs_between_revisions(
    user_client, library, write_runbook
):
    path = write_runbook("disk-full", body="## Symptoms\n\nOld <b>text</b>.\n")
    call_command("sync_runbooks", str(library), stdout=StringIO())
    path.write_text(path.read_text().replace("Old <b>text</b>", "New <i>text</i>"))
    call_command("sync_runbooks", str(library), stdout=StringIO())

    html = user_client.get("/runbooks/disk-full/").content.decode()

    assert "r2 · " in html and "changes since r1" in html
    assert '<span class="remove">-Old &lt;b&gt;text&lt;/b&gt;.</span>' in html
    assert '<span class="add">+New &lt;i&gt;text&lt;/i&gt;.</span>' in html
    assert "<i>text</i>" not in html.split('class="history"')[1]


def test_the_page_lists_the_slos_that_link_to_it(user_client, make_runbook, make_slo):
    make_runbook("disk-full")
    make_slo("checkout", "availability", runbook="disk-full")
    make_slo("checkout", "latency", runbook="high-latency")

    response = user_client.get("/runbooks/disk-full/")

    assert [str(slo) for slo in response.context["slos"]] == ["checkout/availability"]
    assert "checkout / availability" in response.content.decode()


def test_an_archived_runbook_still_renders_with_a_notice(user_client, make_runbook):
    make_runbook("old-way", archived_at=timezone.now())

    response = user_client.get("/runbooks/old-way/")

    assert response.status_code == 200
    assert "this runbook was removed from the library" in response.content.decode()
    assert "old-way" not in listed_slugs(user_client.get("/runbooks/"))


def test_an_unknown_runbook_is_not_found(user_client):
    assert user_client.get("/runbooks/no-such-runbook/").status_code == 404
