"""Hostile customer input answers 4xx in the error envelope, never a 5xx (issue 10)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from ingestion.models import Mention

from .conftest import mention

DEEP = "[" * 100_000 + "]" * 100_000


def post_raw(client, raw: str, path: str = "/ingest"):
    return client.post(path, data=raw, content_type="application/json")


def assert_envelope(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:500]
    assert response.json()["error"]["code"] == code


def cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize("path", ["/ingest", "/api/v1/ingest"])
def test_a_deeply_nested_json_body_is_a_400(tenant, path):
    assert_envelope(post_raw(tenant.client(), DEEP, path), 400, "invalid_payload")


def test_deeply_nested_metadata_is_refused_and_nothing_is_stored(tenant):
    nested: dict = {}
    for _ in range(200):
        nested = {"a": nested}
    body = mention(tenant.project.slug, metadata=nested)
    response = post_raw(tenant.client(), json.dumps(body))
    assert_envelope(response, 400, "invalid_payload")
    assert "metadata" in response.json()["error"]["fields"]
    assert not Mention.objects.exists()


@pytest.mark.parametrize("number", ["1e400", "-1e400"])
def test_a_number_too_large_for_a_float_in_metadata_is_refused(tenant, number):
    body = json.dumps(mention(tenant.project.slug, metadata={"x": 0})).replace("0}", number + "}")
    assert_envelope(post_raw(tenant.client(), body), 400, "invalid_payload")
    assert not Mention.objects.exists()


def test_an_integer_with_thousands_of_digits_is_refused(tenant):
    body = json.dumps(mention(tenant.project.slug, metadata={"n": 0}))
    body = body.replace("0}", "9" * 5000 + "}")
    assert_envelope(post_raw(tenant.client(), body), 400, "invalid_payload")


@pytest.mark.parametrize(
    "posted_at",
    [
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "1900-01-01T00:00:00Z",
        "2999-01-01T00:00:00Z",
    ],
)
def test_a_mention_dated_far_in_the_future_or_past_is_refused(tenant, posted_at):
    body = mention(tenant.project.slug, posted_at=posted_at)
    response = post_raw(tenant.client(), json.dumps(body))
    assert_envelope(response, 400, "invalid_payload")
    assert "posted_at" in response.json()["error"]["fields"]
    assert not Mention.objects.exists()


def test_a_mention_dated_a_few_minutes_ahead_is_accepted_for_clock_skew(tenant):
    soon = (timezone.now() + timedelta(minutes=10)).isoformat()
    response = post_raw(tenant.client(), json.dumps(mention(tenant.project.slug, posted_at=soon)))
    assert response.status_code == 202, response.content


@pytest.mark.parametrize("path", ["/insights", "/api/v1/mentions"])
@pytest.mark.parametrize(
    "query",
    [
        "until=9999-12-31T23:30:00Z",
        "since=9999-12-31T23:30:00Z",
        "since=0001-01-01T00:00:00Z",
        "until=0001-01-01T00:10:00Z",
        "since=0001-01-01T00:00:00%2B05:00",
        "until=9999-12-31T23:59:59-05:00",
        "since=not-a-date",
    ],
)
def test_a_date_outside_the_supported_range_is_a_400(tenant, path, query):
    response = tenant.client().get(f"{path}?project={tenant.project.slug}&{query}")
    assert_envelope(response, 400, "invalid_payload")


@pytest.mark.parametrize(
    "forged",
    [
        cursor("p=abc"),
        "cD1hYmM=",
        cursor("p=1e3"),
        cursor("p=99999999999999999999999999"),
        cursor("p=-99999999999999999999999999"),
        cursor("o=-1"),
        cursor("r=x"),
        cursor("p=\x00"),
        "%%%not-base64",
        base64.b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_forged_cursor_is_a_400_not_a_500(tenant, forged):
    response = tenant.client().get(
        "/api/v1/mentions", {"project": tenant.project.slug, "cursor": forged}
    )
    assert_envelope(response, 400, "invalid_cursor")


def test_a_genuine_cursor_still_pages(tenant):
    slug = tenant.project.slug
    batch = {"mentions": [mention(slug, n) for n in range(3)]}
    assert post_raw(tenant.client(), json.dumps(batch)).status_code == 202
    first = tenant.client().get("/api/v1/mentions", {"project": slug, "limit": 2}).json()
    assert len(first["results"]) == 2
    second = tenant.client().get(first["next"]).json()
    assert len(second["results"]) == 1


@pytest.mark.parametrize("limit", ["-1", "0", "abc", "99999999999999999999999", "1e9"])
def test_a_strange_page_size_never_fails(tenant, limit):
    response = tenant.client().get(
        "/api/v1/mentions", {"project": tenant.project.slug, "limit": limit}
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "path,field",
    [
        ("/insights", "project"),
        ("/insights", "interval"),
        ("/api/v1/mentions", "project"),
        ("/api/v1/mentions", "q"),
        ("/api/v1/mentions", "source"),
        ("/api/v1/mentions", "sentiment"),
    ],
)
def test_nul_and_oversized_query_values_are_4xx(tenant, path, field):
    for value in ["a\x00b", "x" * 5000]:
        params = {"project": tenant.project.slug, field: value}
        response = tenant.client().get(path, params)
        assert 400 <= response.status_code < 500, (field, value, response.content[:300])
        assert "error" in response.json()


def test_search_syntax_of_every_kind_is_not_an_error(tenant):
    for q in ['"unclosed', "a & | ! b", "-", "or or", "(((", "'", "\\", ":*", "<->"]:
        response = tenant.client().get(
            "/api/v1/mentions", {"project": tenant.project.slug, "q": q}
        )
        assert response.status_code == 200, (q, response.content[:300])


@pytest.mark.parametrize(
    "body",
    [
        "",
        "null",
        "[]",
        "1e999999",
        '"string"',
        "{",
        '{"mentions": null}',
        '{"mentions": {}}',
        '{"mentions": [null]}',
        '{"mentions": [[]]}',
        '{"mentions": "x"}',
        "\ufeff{}",
        '{"project": {"$gt": ""}}',
        '{"a": NaN}',
        '{"a": Infinity}',
    ],
)
def test_malformed_bodies_are_400(tenant, body):
    response = post_raw(tenant.client(), body)
    assert_envelope(response, 400, "invalid_payload")


def test_a_body_in_an_unexpected_encoding_is_a_4xx(tenant):
    response = tenant.client().post(
        "/ingest", data=b"\xff\xfe{\x00}\x00", content_type="application/json"
    )
    assert 400 <= response.status_code < 500 and "error" in response.json()


def test_a_charset_django_does_not_know_is_a_4xx(tenant):
    response = tenant.client().post(
        "/ingest", data=b"{}", content_type="application/json; charset=no-such-codec"
    )
    assert 400 <= response.status_code < 500, response.content[:300]
