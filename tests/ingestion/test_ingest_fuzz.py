"""Hypothesis-generated /ingest bodies: never a 5xx, and all-or-nothing (issue 10)."""

from __future__ import annotations

import json
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.models import Mention

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "\x00", "\ud800", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
DATES = st.datetimes(datetime(1990, 1, 1), datetime(2030, 1, 1))
FIELDS = ["project", "external_id", "text", "source", "author", "url", "posted_at", "lang"]


def mentions(slug: str) -> st.SearchStrategy[dict]:
    """Mostly well-formed mentions with a few fields replaced by arbitrary JSON."""
    valid = st.fixed_dictionaries(
        {
            "project": st.sampled_from([slug, slug, "other-project", "Bad Slug"]),
            "external_id": st.text(min_size=1, max_size=130),
            "text": st.text(min_size=1, max_size=60),
        },
        optional={
            "posted_at": DATES.map(lambda d: d.isoformat() + "Z"),
            "url": st.sampled_from(["https://example.com/a", "not a url", ""]),
            "metadata": JSON,
        },
    )
    broken = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=3)
    return st.builds(lambda m, b: {**m, **b}, valid, st.one_of(st.just({}), broken))


def bodies(slug: str) -> st.SearchStrategy:
    return st.one_of(
        mentions(slug),
        st.builds(lambda ms: {"mentions": ms}, st.lists(mentions(slug), min_size=0, max_size=5)),
        JSON,
    )


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_ingest_body_yields_a_5xx_or_a_partial_write(tenant, data):
    body = data.draw(bodies(tenant.project.slug))
    raw = json.dumps(body)
    before = Mention.objects.count()
    response = tenant.client().post("/ingest", data=raw, content_type="application/json")
    assert response.status_code in (202, 400, 403), (response.status_code, raw[:300])
    after = Mention.objects.count()
    if response.status_code == 202:
        assert after - before == response.json()["accepted"]
    else:
        assert after == before
        assert response.json()["error"]["code"] in ("invalid_payload", "forbidden")

