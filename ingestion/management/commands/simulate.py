"""simulate --rate N: post realistic mentions through the real HTTP API until stopped."""

from __future__ import annotations

import random
import time

import requests
from django.core.management.base import BaseCommand

from ingestion.simulation import fake_request


class Command(BaseCommand):
    help = "Post simulated mentions to a running SIE (requests per second)."

    def add_arguments(self, parser):
        parser.add_argument("--rate", type=float, default=5.0, help="requests per second")
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--key", required=True, help="X-API-Key to post with")
        parser.add_argument("--project", default="demo-brand")
        parser.add_argument("--duration", type=float, default=0, help="seconds; 0 = forever")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, rate: float, url: str, key: str, project: str, duration: float, seed, **o):
        rng = random.Random(seed)
        session = requests.Session()
        session.headers.update({"X-API-Key": key})
        recent: list[dict] = []
        counts: dict[int | str, int] = {}
        started = time.monotonic()
        next_at = started
        while not duration or time.monotonic() - started < duration:
            try:
                status = session.post(
                    f"{url}/ingest", json=fake_request(rng, project, recent), timeout=10
                ).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
                time.sleep(1)
            counts[status] = counts.get(status, 0) + 1
            if sum(counts.values()) % 50 == 0:
                self.stdout.write(f"simulate: {counts}")
            next_at += 1.0 / rate
            time.sleep(max(0.0, next_at - time.monotonic()))
        self.stdout.write(f"simulate: done {counts}")
