"""Realistic fake social-media traffic for the demo and benchmarks (no I/O here)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

BRANDS = ["Acme", "Acme Cloud", "Globex", "Initech"]
PRODUCTS = ["RoadRunner 3000", "Anvil Pro", "Rocket Skates"]
HASHTAGS = ["#acme", "#cloud", "#outage", "#love", "#fail", "#support", "#launch", "#ai"]
HANDLES = ["@acmehelp", "@wile_e", "@globexcorp", "@devrel"]
POSITIVE = [
    "I absolutely love {brand}! The {product} is amazing {tag}",
    "Huge thanks to {handle} for the fast help, {brand} rocks 😍 {tag}",
    "{product} just made my week. Great job {brand}! {tag}",
    "Best customer support ever from {brand} {tag} 🎉",
]
NEGATIVE = [
    "{brand} is down again?! This is terrible {tag}",
    "Worst update ever, {product} keeps crashing. Fix it {handle} {tag}",
    "So disappointed with {brand}, waited 3 hours for support 😡 {tag}",
    "{product} broke after one day. Never buying {brand} again {tag}",
]
NEUTRAL = [
    "Anyone tried the new {product} from {brand}? {tag}",
    "{brand} announced pricing for {product} today {tag} https://example.com/news",
    "Reading the {brand} release notes {tag} $ACME",
    "{brand} の新しい {product} を試した {tag}",
    "{brand} أطلقت منتجا جديدا {tag}",
]
SOURCES = ["twitter", "reddit", "mastodon", "news", "forum"]


def fake_text(rng: random.Random) -> str:
    pool = rng.choices([POSITIVE, NEGATIVE, NEUTRAL], weights=[4, 3, 3])[0]
    return rng.choice(pool).format(
        brand=rng.choice(BRANDS),
        product=rng.choice(PRODUCTS),
        tag=" ".join(rng.sample(HASHTAGS, rng.randint(1, 2))),
        handle=rng.choice(HANDLES),
    )


def fake_mention(rng: random.Random, project: str, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    posted = now - timedelta(seconds=rng.randint(0, 300))
    return {
        "project": project,
        "external_id": uuid.UUID(int=rng.getrandbits(128)).hex,
        "text": fake_text(rng),
        "source": rng.choice(SOURCES),
        "author": rng.choice(HANDLES),
        "posted_at": posted.isoformat(),
        "metadata": {"followers": rng.randint(0, 50000)},
    }


def fake_request(rng: random.Random, project: str, recent: list[dict]) -> dict[str, Any]:
    """A request body: mostly new mentions, ~5 % resent duplicates, ~2 % invalid."""
    roll = rng.random()
    if roll < 0.02:
        return {"mentions": [{"project": project, "external_id": "bad", "text": ""}]}
    if roll < 0.07 and recent:
        return {"mentions": [rng.choice(recent)]}
    batch = [fake_mention(rng, project) for _ in range(rng.choice([1, 1, 1, 5, 20]))]
    recent.extend(batch)
    del recent[:-200]
    return batch[0] if len(batch) == 1 else {"mentions": batch}


def rate_within_tier(rate: float, hourly_limit: int, headroom: float = 0.9) -> float:
    """Requests/s the simulator may post without hitting its own tier's hourly quota.

    Answers 429 rate_limited are the customer's doing, not the SIE's, but a demo that runs
    into its own quota shows nothing but rejections; 10 % headroom absorbs window edges.
    """
    return min(rate, hourly_limit / 3600 * headroom)
