from __future__ import annotations

import json

import pytest
from django.test import override_settings

from ingestion.models import ApiKey, Mention, MentionStatus

from .conftest import mention


def post(client, body, **kwargs):
    return client.post("/ingest", data=json.dumps(body), content_type="application/json", **kwargs)


def test_one_mention_is_stored_before_202(tenant):
    response = post(tenant.client(), mention(tenant.project.slug, posted_at="2026-11-01T10:00:00Z"))
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["accepted"] == 1 and body["duplicates"] == 0
    stored = Mention.objects.get(pk=body["ids"][0])
    assert stored.project == tenant.project
    assert stored.status == MentionStatus.PENDING
    assert stored.occurred_at.isoformat() == "2026-11-01T10:00:00+00:00"


def test_a_batch_is_stored_and_duplicates_are_counted_not_stored_twice(tenant):
    slug = tenant.project.slug
    batch = {"mentions": [mention(slug, n) for n in range(5)] + [mention(slug, 0)]}
    first = post(tenant.client(), batch).json()
    assert (first["accepted"], first["duplicates"]) == (5, 1)
    assert first["ids"][0] == first["ids"][5]
    again = post(tenant.client(), batch).json()
    assert (again["accepted"], again["duplicates"]) == (0, 6)
    assert again["ids"] == first["ids"]
    assert Mention.objects.count() == 5


def test_the_same_external_id_in_two_projects_is_two_mentions(make_tenant):
    tenant = make_tenant()
    other = tenant.customer.projects.create(slug="acme-other")
    post(tenant.client(), mention(tenant.project.slug))
    response = post(tenant.client(), mention(other.slug))
    assert response.json()["accepted"] == 1
    assert Mention.objects.count() == 2


def test_emoji_rtl_and_cjk_text_is_accepted(tenant):
    texts = ["Love it 😍🔥", "أحب هذا المنتج", "这个产品很好 #好", "עברית טובה"]
    batch = {"mentions": [mention(tenant.project.slug, n, text=t) for n, t in enumerate(texts)]}
    assert post(tenant.client(), batch).status_code == 202
    assert sorted(Mention.objects.values_list("text", flat=True)) == sorted(texts)


def test_accepted_mentions_are_queued_for_enrichment_on_commit(
    tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(
            tenant.client(), {"mentions": [mention(tenant.project.slug, n) for n in range(3)]}
        )
    assert response.status_code == 202
    assert len(callbacks) == 1  # nothing is published before the rows are committed


BAD_MENTIONS = {
    "missing text": ({"external_id": "a"}, "text"),
    "missing external_id": ({"text": "x"}, "external_id"),
    "empty text": ({"external_id": "a", "text": ""}, "text"),
    "text too long": ({"external_id": "a", "text": "x" * 10001}, "text"),
    "external_id too long": ({"external_id": "a" * 129, "text": "x"}, "external_id"),
    "text is a number": ({"external_id": "a", "text": 12}, "text"),
    "external_id is a list": ({"external_id": ["a"], "text": "x"}, "external_id"),
    "bad timestamp": ({"external_id": "a", "text": "x", "posted_at": "yesterday"}, "posted_at"),
    "metadata not an object": ({"external_id": "a", "text": "x", "metadata": [1]}, "metadata"),
    "metadata too big": (
        {"external_id": "a", "text": "x", "metadata": {"k": "v" * 17000}},
        "metadata",
    ),
    "NUL in text": ({"external_id": "a", "text": "bad\x00byte"}, "text"),
    "lone surrogate in text": ({"external_id": "a", "text": "bad\ud800"}, "text"),
    "NUL in metadata": ({"external_id": "a", "text": "x", "metadata": {"k": "\x00"}}, "metadata"),
    "bad url": ({"external_id": "a", "text": "x", "url": "not a url"}, "url"),
}


@pytest.mark.parametrize("case", BAD_MENTIONS, ids=list(BAD_MENTIONS))
def test_an_invalid_mention_is_rejected_naming_index_and_field(tenant, case):
    bad, field = BAD_MENTIONS[case]
    batch = {"mentions": [mention(tenant.project.slug, 0), {"project": tenant.project.slug, **bad}]}
    # json.dumps escapes lone surrogates and NULs the way a client would send them.
    response = post(tenant.client(), batch)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_payload"
    assert f"mentions[1].{field}" in error["fields"]
    assert Mention.objects.count() == 0  # all-or-nothing


def test_an_invalid_single_mention_names_the_field(tenant):
    response = post(tenant.client(), {"project": tenant.project.slug, "external_id": "a"})
    assert response.status_code == 400
    assert "text" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "body",
    [{"mentions": []}, {"mentions": "nope"}, [], "text", 3, {"mentions": [None]}],
    ids=["empty batch", "mentions not a list", "bare list", "string", "number", "null item"],
)
def test_malformed_bodies_are_400(tenant, body):
    response = post(tenant.client(), body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"
    assert Mention.objects.count() == 0


def test_1001_mentions_are_rejected(tenant):
    batch = {"mentions": [mention(tenant.project.slug, n) for n in range(1001)]}
    response = post(tenant.client(), batch)
    assert response.status_code == 400
    assert "mentions" in response.json()["error"]["fields"]
    assert Mention.objects.count() == 0


def test_1000_mentions_are_accepted(tenant):
    batch = {"mentions": [mention(tenant.project.slug, n) for n in range(1000)]}
    assert post(tenant.client(), batch).json()["accepted"] == 1000


def test_malformed_json_is_400(tenant):
    response = tenant.client().post("/ingest", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_415(tenant, content_type):
    body = json.dumps(mention(tenant.project.slug))
    response = tenant.client().post("/ingest", data=body, content_type=content_type)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert Mention.objects.count() == 0


def test_a_body_without_content_type_is_415(tenant):
    body = json.dumps(mention(tenant.project.slug)).encode()
    response = tenant.client().generic("POST", "/ingest", body, content_type="")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_a_body_over_5mb_is_413(tenant):
    big = {"mentions": [mention(tenant.project.slug, n, text="x" * 9000) for n in range(600)]}
    response = post(tenant.client(), big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert Mention.objects.count() == 0


def test_an_unknown_project_is_rejected_naming_the_mention(tenant):
    batch = {"mentions": [mention(tenant.project.slug, 0), mention("nope", 1)]}
    response = post(tenant.client(), batch)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"mentions[1].project": ["unknown project"]}
    assert Mention.objects.count() == 0


def test_another_customers_project_answers_like_an_unknown_one(make_tenant):
    mine, theirs = make_tenant("acme"), make_tenant("globex")
    batch = {"mentions": [mention(mine.project.slug, 0), mention(theirs.project.slug, 1)]}
    response = post(mine.client(), batch)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"mentions[1].project": ["unknown project"]}
    assert Mention.objects.count() == 0


@pytest.mark.parametrize("key", [None, "garbage", "sie_deadbeef_nope"])
def test_a_missing_or_unknown_key_is_401(tenant, client, key):
    headers = {"HTTP_X_API_KEY": key} if key else {}
    response = post(client, mention(tenant.project.slug), **headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert Mention.objects.count() == 0


def test_a_revoked_key_is_401(tenant):
    ApiKey.objects.get(customer=tenant.customer).revoke()
    response = post(tenant.client(), mention(tenant.project.slug))
    assert response.status_code == 401
    assert Mention.objects.count() == 0


def test_without_the_auth_cache_revocation_takes_effect_at_once(tenant, settings):
    settings.SIE_AUTH_CACHE_SECONDS = 0
    assert post(tenant.client(), mention(tenant.project.slug, 1)).status_code == 202
    ApiKey.objects.get(customer=tenant.customer).revoke()
    assert post(tenant.client(), mention(tenant.project.slug, 2)).status_code == 401


def test_a_revoked_key_is_refused_once_its_cached_lookup_expires(tenant, settings):
    import time

    settings.SIE_AUTH_CACHE_SECONDS = 1
    assert post(tenant.client(), mention(tenant.project.slug, 1)).status_code == 202
    ApiKey.objects.get(customer=tenant.customer).revoke()
    assert post(tenant.client(), mention(tenant.project.slug, 2)).status_code == 202  # cached
    time.sleep(1.1)
    assert post(tenant.client(), mention(tenant.project.slug, 3)).status_code == 401


def test_a_wrong_secret_with_a_cached_prefix_is_still_refused(tenant, client):
    assert post(tenant.client(), mention(tenant.project.slug, 1)).status_code == 202
    forged = tenant.key[:-4] + "AAAA"
    response = post(client, mention(tenant.project.slug, 2), HTTP_X_API_KEY=forged)
    assert response.status_code == 401


def test_the_tier_limit_answers_429_with_retry_after_and_headers(make_tenant, settings):
    settings.SIE_TIER_RATE_LIMITS = {**settings.SIE_TIER_RATE_LIMITS, "starter": 3}
    tenant = make_tenant(tier="starter")
    answers = [post(tenant.client(), mention(tenant.project.slug, n)) for n in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert answers[0]["X-RateLimit-Limit"] == "3"
    assert [a["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert int(answers[3]["Retry-After"]) > 0
    assert answers[3].json()["error"]["code"] == "rate_limited"
    assert Mention.objects.count() == 3


def test_rate_limits_are_per_customer(make_tenant, settings):
    settings.SIE_TIER_RATE_LIMITS = {**settings.SIE_TIER_RATE_LIMITS, "starter": 1}
    one, two = make_tenant("one", tier="starter"), make_tenant("two", tier="starter")
    assert post(one.client(), mention(one.project.slug)).status_code == 202
    assert post(two.client(), mention(two.project.slug)).status_code == 202
    assert post(one.client(), mention(one.project.slug, 2)).status_code == 429


def test_a_full_queue_answers_429_queue_full(tenant):
    post(tenant.client(), {"mentions": [mention(tenant.project.slug, n) for n in range(3)]})
    with override_settings(SIE_QUEUE_MAX_SIZE=3):
        from ingestion import intake

        intake._pending_sample = (0.0, 0)  # forget the per-process sample
        response = post(tenant.client(), mention(tenant.project.slug, 99))
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "queue_full"
    assert int(response["Retry-After"]) > 0
    assert Mention.objects.count() == 3


def test_the_api_v1_alias_ingests_too(tenant):
    body = json.dumps(mention(tenant.project.slug))
    response = tenant.client().post("/api/v1/ingest", data=body, content_type="application/json")
    assert response.status_code == 202


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_the_same_mentions_store_each_once(make_tenant):
    import threading

    from django.db import connection as main_connection

    if main_connection.vendor == "sqlite":
        pytest.skip("in-memory SQLite test databases are not shared between threads")
    tenant = make_tenant()
    batch = {"mentions": [mention(tenant.project.slug, n) for n in range(200)]}
    results: list[dict] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        from django.db import connection

        barrier.wait()
        try:
            results.append(post(tenant.client(), batch).json())
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["accepted"] for r in results) == 200
    assert sum(r["duplicates"] for r in results) == 600
    assert len({tuple(r["ids"]) for r in results}) == 1
    assert Mention.objects.count() == 200
