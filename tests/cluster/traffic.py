"""A small bounded HTTP load for cluster tests: posts uniquely numbered mentions and counts
what the clients saw (202s, 503s with Retry-After, other errors, connection failures)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field


def call(
    url: str, body: dict | None = None, key: str = "", timeout: float = 15
) -> tuple[int, dict, dict]:
    """One JSON request; (status, headers, body). Connection failures raise OSError."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "X-API-Key": key}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {"raw": raw[:200].decode(errors="replace")}
        return error.code, dict(error.headers), answer


@dataclass
class Load:
    """`threads` clients each posting one mention every `interval` s until stopped."""

    base: str
    key: str
    project: str
    threads: int = 2
    interval: float = 0.05
    prefix: str = "m"
    seen: Counter = field(default_factory=Counter)
    accepted: set[str] = field(default_factory=set)
    retry_after_missing: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Load:
        for n in range(self.threads):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def stop(self) -> Load:
        self._stop.set()
        for thread in self._workers:
            thread.join(timeout=60)
        return self

    def _run(self, n: int) -> None:
        i = 0
        while not self._stop.is_set():
            i += 1
            external_id = f"{self.prefix}-{n}-{i}"
            body = {"project": self.project, "external_id": external_id,
                    "text": f"I love Acme #{i} :)"}
            self._record(external_id, *self._post(body))
            time.sleep(self.interval)

    def _post(self, body: dict) -> tuple[str, bool]:
        try:
            status, headers, _ = call(f"{self.base}/ingest", body, self.key)
        except OSError as exc:
            return f"connection:{type(exc).__name__}", True
        return str(status), status != 503 or "Retry-After" in headers

    def _record(self, external_id: str, outcome: str, retry_after_ok: bool) -> None:
        with self._lock:
            self.seen[outcome] += 1
            if outcome == "202":
                self.accepted.add(external_id)
            if not retry_after_ok:
                self.retry_after_missing += 1

    def report(self, name: str) -> str:
        line = f"[{name}] client outcomes {dict(self.seen)}; accepted {len(self.accepted)}"
        print(line)
        return line
