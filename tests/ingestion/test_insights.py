from __future__ import annotations

import json

import pytest

from ingestion.enrichment import enrich_batch

from .conftest import mention


def ingest(tenant, rows) -> list[int]:
    batch = {"mentions": [mention(tenant.project.slug, n, **row) for n, row in enumerate(rows)]}
    response = tenant.client().post(
        "/ingest", data=json.dumps(batch), content_type="application/json"
    )
    assert response.status_code == 202, response.content
    return response.json()["ids"]


@pytest.fixture
def stored(make_tenant):
    tenant = make_tenant(brand_terms=["Acme"])
    ids = ingest(
        tenant,
        [
            {
                "text": "Love Acme so much #launch",
                "posted_at": "2026-11-20T10:05:00Z",
                "source": "twitter",
            },
            {
                "text": "Acme is awful and broken #fail",
                "posted_at": "2026-11-20T10:40:00Z",
                "source": "reddit",
            },
            {
                "text": "Acme shipped an update #launch",
                "posted_at": "2026-11-20T12:10:00Z",
                "source": "twitter",
            },
            {
                "text": "still waiting on Acme",
                "posted_at": "2026-11-20T12:20:00Z",
                "source": "twitter",
            },
        ],
    )
    enrich_batch(ids[:3])  # the last one stays pending
    return tenant


def test_insights_report_totals_sentiment_series_and_top_terms(stored):
    response = stored.client().get("/insights", {"project": stored.project.slug})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["project"] == stored.project.slug
    assert (body["total"], body["pending"]) == (4, 1)
    assert (body["sentiment"]["positive"], body["sentiment"]["negative"]) == (1, 1)
    assert body["sentiment"]["neutral"] == 1
    assert [(s["bucket"][:13], s["count"]) for s in body["series"]] == [
        ("2026-11-20T10", 2),
        ("2026-11-20T12", 1),
    ]
    assert body["top_hashtags"][0] == {"tag": "launch", "count": 2}
    assert body["top_entities"][0] == {"text": "Acme", "label": "BRAND", "count": 3}


def test_insights_by_day_and_time_range(stored):
    client = stored.client()
    day = client.get("/api/v1/insights", {"project": stored.project.slug, "interval": "day"}).json()
    assert [(s["bucket"][:10], s["count"]) for s in day["series"]] == [("2026-11-20", 3)]
    late = client.get(
        "/insights",
        {
            "project": stored.project.slug,
            "since": "2026-11-20T12:00:00Z",
            "until": "2026-11-20T13:00:00Z",
        },
    ).json()
    assert (late["total"], late["pending"]) == (2, 1)


def test_insights_reject_bad_parameters_in_the_envelope(stored):
    client = stored.client()
    bad = client.get("/insights", {"project": stored.project.slug, "since": "nope"})
    assert bad.status_code == 400 and "since" in bad.json()["error"]["fields"]
    assert client.get("/insights").status_code == 400
    reversed_range = client.get(
        "/insights",
        {
            "project": stored.project.slug,
            "since": "2026-11-21T00:00:00Z",
            "until": "2026-11-20T00:00:00Z",
        },
    )
    assert reversed_range.status_code == 400


def test_a_customer_never_sees_another_customers_project(stored, make_tenant):
    other = make_tenant("globex")
    response = other.client().get("/insights", {"project": stored.project.slug})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    listing = other.client().get("/api/v1/mentions", {"project": stored.project.slug})
    assert listing.status_code == 404


def test_mentions_are_listed_newest_first_with_a_cursor(stored):
    client = stored.client()
    first = client.get("/api/v1/mentions", {"project": stored.project.slug, "limit": 3}).json()
    assert [m["external_id"] for m in first["results"]] == ["ext-3", "ext-2", "ext-1"]
    second = client.get(first["next"]).json()
    assert [m["external_id"] for m in second["results"]] == ["ext-0"]
    assert second["next"] is None


def test_mentions_filter_by_sentiment_source_time_and_text(stored):
    client = stored.client()

    def ids(**params):
        body = client.get("/api/v1/mentions", {"project": stored.project.slug, **params}).json()
        return sorted(m["external_id"] for m in body["results"])

    assert ids(sentiment="negative") == ["ext-1"]
    assert ids(source="reddit") == ["ext-1"]
    assert ids(since="2026-11-20T12:00:00Z") == ["ext-2", "ext-3"]
    assert ids(q="awful broken") == ["ext-1"]
    assert ids(q="shipped") == ["ext-2"]
