"""A fake PagerDuty Events API v2: a real TLS HTTP server on 127.0.0.1 with a self-signed
certificate (made with the openssl CLI), used by the tests and by `make demo`.

It validates the v2 event schema and answers 202, or on demand 400, 429, 500, or holds the
request open without answering ("hang"). Only events answered 202 count as `accepted`.

    python -m incidents.fakepagerduty --port 8443 --dir var/fakepd   # serve until killed
"""

from __future__ import annotations

import argparse
import json
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (cert file, key file)."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "fakepd-cert.pem", folder / "fakepd-key.pem"
    if not cert.exists() or not key.exists():
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "30",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
    return cert, key


def validate_event(event: Any) -> list[str]:
    """Errors PagerDuty would report for this body (empty when it is a valid v2 event)."""
    if not isinstance(event, dict):
        return ["Event object is invalid"]
    errors = []
    if not isinstance(event.get("routing_key"), str) or len(event["routing_key"]) != 32:
        errors.append("'routing_key' must be a 32 character string")
    action = event.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' is invalid")
    if action in ("acknowledge", "resolve") and not event.get("dedup_key"):
        errors.append("'dedup_key' is required for acknowledge and resolve")
    if action == "trigger":
        errors += _payload_errors(event.get("payload"))
    return errors


def _payload_errors(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or not an object"]
    errors = [f"'payload.{k}' is missing" for k in ("summary", "source") if not payload.get(k)]
    if payload.get("severity") not in SEVERITIES:
        errors.append("'payload.severity' is invalid")
    if len(str(payload.get("summary", ""))) > 1024:
        errors.append("'payload.summary' is longer than 1024 characters")
    return errors


@dataclass
class FakePagerDuty:
    """State shared with the handler threads; tests flip `answer` between calls."""

    answer: int | str = 202  # 202, 400, 429, 500 or "hang"
    accepted: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    ca_bundle: str = ""
    server: ThreadingHTTPServer | None = None

    def handle(self, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            event = json.loads(body)
        except ValueError:
            return 400, {"status": "invalid event", "message": "Invalid JSON", "errors": []}
        with self.lock:
            self.received.append(event)
            answer = self.answer
        if answer == "hang":
            self.release.wait(60)  # the client gives up or is killed first
            return 503, {"status": "unavailable", "message": "hung request released"}
        errors = validate_event(event)
        if errors or answer == 400:
            errors = errors or ["rejected on demand"]
            return 400, {
                "status": "invalid event",
                "message": "Event object is invalid",
                "errors": errors,
            }
        if answer != 202:
            return int(answer), {"status": "error", "message": f"answering {answer} on demand"}
        with self.lock:
            self.accepted.append(event)
        key = event.get("dedup_key") or f"fake-{len(self.accepted)}"
        return 202, {"status": "success", "message": "Event processed", "dedup_key": key}

    def actions(self) -> list[tuple[str, str]]:
        """(event_action, dedup_key) of every accepted event, in arrival order."""
        with self.lock:
            return [(e["event_action"], e.get("dedup_key", "")) for e in self.accepted]

    def start(self, folder: Path, port: int = 0) -> FakePagerDuty:
        cert, key = make_certificate(folder)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.ca_bundle = str(cert)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop answering: connections are refused until start() again."""
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def _handler_for(fake: FakePagerDuty) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/v2/enqueue":
                status, answer = 404, {"status": "not found"}
            else:
                status, answer = fake.handle(body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: tests assert on `received` / `accepted` instead

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--dir", type=Path, default=Path("var/fakepd"))
    args = parser.parse_args()
    fake = FakePagerDuty().start(args.dir, args.port)
    print(f"fake PagerDuty at {fake.url} (CA bundle {fake.ca_bundle})", flush=True)
    log = args.dir / "events.jsonl"
    seen = 0
    while True:  # append accepted events to a file the demo points people at
        time.sleep(1)
        with fake.lock:
            new, seen = fake.accepted[seen:], len(fake.accepted)
        with log.open("a") as out:
            out.writelines(json.dumps(e) + "\n" for e in new)


if __name__ == "__main__":
    main()
