"""A customer never reads, writes or probes another customer's data (issue 10).

Another customer's project slug answers exactly like a slug that does not exist, on every
customer endpoint, and a cursor minted for one customer shows another nothing of it.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from ingestion.models import Mention

from .conftest import mention

READS = ["/insights", "/api/v1/insights", "/api/v1/mentions"]
WRITES = ["/ingest", "/api/v1/ingest"]


@pytest.fixture
def two(make_tenant):
    mine, theirs = make_tenant("acme"), make_tenant("globex")
    batch = {"mentions": [mention(theirs.project.slug, n) for n in range(3)]}
    response = theirs.client().post("/ingest", json.dumps(batch), content_type="application/json")
    assert response.status_code == 202
    return mine, theirs


@pytest.mark.parametrize("path", READS)
def test_another_customers_slug_reads_exactly_like_an_unknown_slug(two, path):
    mine, theirs = two
    foreign = mine.client().get(path, {"project": theirs.project.slug})
    unknown = mine.client().get(path, {"project": "no-such-project"})
    assert foreign.status_code == unknown.status_code == 404
    expected = unknown.json()["error"]["message"].replace("no-such-project", theirs.project.slug)
    assert foreign.json()["error"] == {"code": "not_found", "message": expected}


@pytest.mark.parametrize("path", WRITES)
def test_another_customers_slug_writes_exactly_like_an_unknown_slug(two, path):
    mine, theirs = two
    client = mine.client()
    foreign = client.post(path, mention(theirs.project.slug, 9), format="json")
    unknown = client.post(path, mention("no-such-project", 9), format="json")
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json()
    assert Mention.objects.filter(project=theirs.project).count() == 3


def test_a_cursor_from_another_customer_shows_only_the_callers_own_project(two):
    mine, theirs = two
    page = theirs.client().get("/api/v1/mentions", {"project": theirs.project.slug, "limit": 1})
    next_cursor = parse_qs(urlparse(page.json()["next"]).query)["cursor"][0]
    stolen = mine.client().get(
        "/api/v1/mentions", {"project": theirs.project.slug, "cursor": next_cursor}
    )
    assert stolen.status_code == 404
    own = mine.client().get(
        "/api/v1/mentions", {"project": mine.project.slug, "cursor": next_cursor}
    )
    assert own.status_code == 200 and own.json()["results"] == []


def test_a_customer_without_a_key_sees_nothing_anywhere(two):
    _, theirs = two
    anonymous = theirs.client()
    anonymous.credentials()
    for path in READS:
        assert anonymous.get(path, {"project": theirs.project.slug}).status_code == 401
    for path in WRITES:
        body = json.dumps(mention(theirs.project.slug, 9))
        assert anonymous.post(path, body, content_type="application/json").status_code == 401
