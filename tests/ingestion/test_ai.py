from __future__ import annotations

import os
import time
from email.utils import formatdate

import pytest
import redis
from pybreaker import CircuitBreaker, CircuitBreakerError

from ingestion import ai
from sie_site.metrics import AI_REQUESTS
from tests.conftest import requires_redis

from .fake_model_server import FakeModelServer

FAST, COMPLEX = "test-fast", "test-complex"


@pytest.fixture(autouse=True)
def ai_settings(settings):
    settings.SIE_AI_MODEL_FAST = FAST
    settings.SIE_AI_MODEL_COMPLEX = COMPLEX
    settings.SIE_AI_COMPLEX_MIN_CHARS = 40
    settings.SIE_AI_TIMEOUT = 0.3
    settings.SIE_CB_FAILURE_THRESHOLD = 3
    settings.SIE_CB_RECOVERY_TIMEOUT = 60
    # In-memory breaker unless a test opts into Redis.
    settings.REDIS_URL = ""
    return settings


class Counted:
    """Reads sie_ai_requests_total deltas since creation (the counter is process-wide)."""

    def __init__(self) -> None:
        self._start = {key: self._read(*key) for key in self._keys()}

    @staticmethod
    def _keys() -> list[tuple[str, str]]:
        statuses = ("ok", "rate_limited", "error", "timeout", "circuit_open")
        return [(model, status) for model in (FAST, COMPLEX) for status in statuses]

    @staticmethod
    def _read(model: str, status: str) -> float:
        # The counter itself, not the global registry: that also holds collectors that query
        # the database at scrape time.
        labels = {"model": model, "status": status}
        samples = [s for family in AI_REQUESTS.collect() for s in family.samples]
        return next(
            (s.value for s in samples if s.name == "sie_ai_requests_total" and s.labels == labels),
            0.0,
        )

    def __call__(self) -> dict[tuple[str, str], float]:
        now = {key: self._read(*key) - self._start[key] for key in self._keys()}
        return {key: delta for key, delta in now.items() if delta}


def test_it_is_disabled_without_a_url(settings) -> None:
    settings.SIE_AI_URL = ""
    counted = Counted()

    assert ai.remote_enrich(["I love it"]) is None
    assert counted() == {}


def test_short_texts_go_to_the_fast_model_and_long_ones_to_the_complex_one(fake_model) -> None:
    long_text = "I love how this long review goes on and on about the product"
    counted = Counted()

    results = ai.remote_enrich(["I love it", long_text, "meh, broken"])

    assert [(r["model"], r["sentiment"]) for r in results] == [
        (FAST, 0.9),
        (COMPLEX, 0.9),
        (FAST, -0.9),
    ]
    assert results[0] == {
        "model": FAST,
        "sentiment": 0.9,
        "topics": ["fake-topic"],
        "summary": "I love it",
    }
    received = sorted(fake_model.received, key=lambda r: r["model"])
    assert received == [
        {"path": "/v1/analyze", "model": COMPLEX, "texts": [long_text]},
        {"path": "/v1/analyze", "model": FAST, "texts": ["I love it", "meh, broken"]},
    ]
    assert counted() == {(FAST, "ok"): 1, (COMPLEX, "ok"): 1}


def test_a_batch_of_short_texts_is_one_request(fake_model) -> None:
    assert len(ai.remote_enrich(["a", "b", "c"])) == 3

    assert [r["texts"] for r in fake_model.received] == [["a", "b", "c"]]


def test_a_model_slower_than_the_timeout_is_given_up_on(fake_model) -> None:
    fake_model.mode = "slow"
    counted = Counted()

    started = time.monotonic()
    assert ai.remote_enrich(["I love it"]) is None

    assert time.monotonic() - started < fake_model.delay
    assert counted() == {(FAST, "timeout"): 1}


@pytest.mark.parametrize("mode", ["error", "garbage", "wrong_count"])
def test_a_failed_or_malformed_answer_gives_none(fake_model, mode: str) -> None:
    fake_model.mode = mode
    counted = Counted()

    assert ai.remote_enrich(["one", "two"]) is None
    assert counted() == {(FAST, "error"): 1}


def test_a_refused_connection_gives_none(settings) -> None:
    with FakeModelServer() as closed:
        url = closed.url
    settings.SIE_AI_URL = url
    counted = Counted()

    assert ai.remote_enrich(["hello"]) is None
    assert counted() == {(FAST, "error"): 1}


def test_if_one_tier_fails_the_whole_batch_falls_back(fake_model) -> None:
    fake_model.mode = "wrong_count"

    assert ai.remote_enrich(["short", "x" * 50]) is None


def test_after_a_429_it_does_not_call_again_before_retry_after(fake_model) -> None:
    fake_model.mode, fake_model.retry_after = "rate_limited", "1"
    counted = Counted()

    assert ai.remote_enrich(["I love it"]) is None
    assert ai.remote_enrich(["I love it"]) is None
    assert fake_model.calls == 1
    assert counted() == {(FAST, "rate_limited"): 2}

    fake_model.mode = "ok"
    time.sleep(1.1)
    assert ai.remote_enrich(["I love it"])[0]["sentiment"] == 0.9
    assert fake_model.calls == 2


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), ("0", 0.0), ("-3", 0.0), ("soon", 0.0), (None, 0.0), ("99999", 3600.0)],
)
def test_retry_after_is_read_as_seconds(header: str | None, seconds: float) -> None:
    assert ai.retry_after_seconds(header) == seconds


def test_retry_after_is_read_as_an_http_date() -> None:
    header = formatdate(time.time() + 30, usegmt=True)

    assert 28 <= ai.retry_after_seconds(header) <= 30


@pytest.mark.parametrize("mode", ["error", "garbage", "slow", "rate_limited"])
def test_the_breaker_opens_after_the_threshold_and_the_model_gets_no_more_calls(
    fake_model, mode: str
) -> None:
    fake_model.mode, fake_model.delay = mode, 0.5  # a 429 without Retry-After here
    counted = Counted()

    for _ in range(3):
        assert ai.remote_enrich(["text"]) is None
    assert fake_model.calls == 3

    assert ai.remote_enrich(["text"]) is None
    assert ai.remote_enrich(["text"]) is None
    assert fake_model.calls == 3
    assert counted()[(FAST, "circuit_open")] == 2
    assert ai.breaker().current_state == "open"


def test_a_success_resets_the_failure_count(fake_model) -> None:
    for mode in ("error", "error", "ok", "error", "error"):
        fake_model.mode = mode
        ai.remote_enrich(["text"])

    assert ai.breaker().current_state == "closed"


def test_the_breaker_closes_after_the_recovery_timeout(fake_model, settings) -> None:
    settings.SIE_CB_RECOVERY_TIMEOUT = 1
    fake_model.mode = "error"
    for _ in range(3):
        ai.remote_enrich(["text"])
    assert ai.remote_enrich(["text"]) is None
    assert fake_model.calls == 3

    fake_model.mode = "ok"
    time.sleep(1.1)

    assert ai.remote_enrich(["I love it"])[0]["sentiment"] == 0.9
    assert ai.breaker().current_state == "closed"
    assert ai.remote_enrich(["I love it"]) is not None
    assert fake_model.calls == 5


def test_a_failed_trial_after_the_timeout_opens_the_breaker_again(fake_model, settings) -> None:
    settings.SIE_CB_RECOVERY_TIMEOUT = 1
    fake_model.mode = "error"
    for _ in range(3):
        ai.remote_enrich(["text"])
    time.sleep(1.1)

    assert ai.remote_enrich(["text"]) is None  # the one trial call
    assert ai.remote_enrich(["text"]) is None

    assert fake_model.calls == 4
    assert ai.breaker().current_state == "open"


@requires_redis
def test_the_breaker_state_is_shared_through_redis(fake_model, settings) -> None:
    settings.REDIS_URL = os.environ["REDIS_URL"]
    namespace = f"sie:ai-breaker:{fake_model.url}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        fake_model.mode = "error"
        for _ in range(3):
            assert ai.remote_enrich(["text"]) is None

        # Another worker process builds its own breaker over the same Redis keys.
        other = CircuitBreaker(state_storage=ai.breaker_storage(fake_model.url, settings.REDIS_URL))

        assert other.current_state == "open"
        assert client.get(f"{namespace}:pybreaker:state") == b"open"
        with pytest.raises(CircuitBreakerError):
            other.call(lambda: None)
        assert fake_model.calls == 3
    finally:
        client.delete(*client.keys(f"{namespace}:*"))


def test_an_unreachable_redis_leaves_a_working_local_breaker(fake_model, settings) -> None:
    with FakeModelServer() as closed:
        settings.REDIS_URL = f"redis://{closed.url.removeprefix('http://')}/0"  # refused

    assert ai.remote_enrich(["I love it"])[0]["sentiment"] == 0.9

    fake_model.mode = "error"
    for _ in range(5):
        assert ai.remote_enrich(["text"]) is None
    assert fake_model.calls == 4  # 1 ok + 3 failures, then the local breaker is open
