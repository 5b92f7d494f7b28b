"""A fake AI model endpoint on 127.0.0.1 speaking ingestion.ai's protocol, scripted per test."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("ok", "slow", "rate_limited", "error", "garbage", "wrong_count")


class FakeModelServer:
    """Answers POST /v1/analyze according to `mode`; records every request it receives.

    ok: one result per text (sentiment 0.9 if the text says "love", else -0.9);
    slow: the same after `delay` seconds; rate_limited: 429 with `retry_after` (when set);
    error: 500; garbage: 200 with a body that is not JSON; wrong_count: one result too few.
    """

    def __init__(self) -> None:
        self.mode = "ok"
        self.delay = 1.0
        self.retry_after: str | None = None
        self.received: list[dict] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.received)

    def record(self, request: dict) -> None:
        with self._lock:
            self.received.append(request)

    def _serve(self) -> None:
        # A short poll keeps shutdown() (every test's teardown) from waiting 0.5 s.
        self._httpd.serve_forever(poll_interval=0.02)

    def __enter__(self) -> FakeModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _result(text: str) -> dict:
    return {
        "sentiment": 0.9 if "love" in text.lower() else -0.9,
        "topics": ["fake-topic"],
        "summary": text[:20],
    }


def _handler_for(server: FakeModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            server.record({"path": self.path, **body})
            mode = server.mode
            if mode == "slow":
                time.sleep(server.delay)
            if mode == "rate_limited":
                headers = {"Retry-After": server.retry_after} if server.retry_after else {}
                return self._send(429, b'{"error": "slow down"}', headers)
            if mode == "error":
                return self._send(500, b"internal error")
            if mode == "garbage":
                return self._send(200, b"<html>not json{")
            results = [_result(text) for text in body["texts"]]
            if mode == "wrong_count":
                results = results[:-1]
            self._send(200, json.dumps({"results": results}).encode())

        def _send(self, status: int, payload: bytes, headers: dict | None = None) -> None:
            try:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout tests); nothing to answer

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    return Handler
