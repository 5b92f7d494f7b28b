"""With the database down, the API answers 503 in the envelope, never a 500; /health stays up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.processes import ROOT, free_port, start_gunicorn


def call(url: str, body: dict | None = None) -> tuple[int, dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        headers={
            "Content-Type": "application/json",
            "X-API-Key": "sie_deadbeef_whatever",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@pytest.fixture
def server_without_database(tmp_path):
    dead_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://nobody@127.0.0.1:{dead_port}/nothing",
        "SIE_DB_POOL_TIMEOUT": "1",
        "SIE_DB_POOL_MIN": "0",
        "SIE_VAR_DIR": str(tmp_path),
        "DEBUG": "false",
    }
    env.pop("REDIS_URL", None)
    proc, base = start_gunicorn(env)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.slow
def test_ingest_answers_503_with_retry_after_when_the_database_is_down(server_without_database):
    body = {"project": "p", "external_id": "1", "text": "hello"}
    status, headers, answer = call(f"{server_without_database}/ingest", body)
    assert status == 503, answer
    assert answer["error"]["code"] == "unavailable"
    assert int(headers["Retry-After"]) > 0
    status, _, ready = call(f"{server_without_database}/ready")
    assert status == 503 and ready["checks"]["database"].startswith("error")
    status, _, health = call(f"{server_without_database}/health")
    assert (status, health) == (200, {"status": "ok"})


@pytest.fixture
def server_without_broker(tmp_path):
    dead_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path}/sie.sqlite3",
        "REDIS_URL": f"redis://127.0.0.1:{dead_port}/0",
        "SIE_VAR_DIR": str(tmp_path),
        "DEBUG": "false",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    created = subprocess.run(
        [*manage, "createapikey", "acme", "--project", "acme"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    proc, base = start_gunicorn(env)
    yield base, key, tmp_path / "sie.sqlite3"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.slow
def test_a_broker_and_cache_outage_still_accepts_and_keeps_mentions(server_without_broker):
    import sqlite3

    base, key, db = server_without_broker
    body = json.dumps({"project": "acme", "external_id": "e1", "text": "still here"}).encode()
    request = urllib.request.Request(f"{base}/ingest", data=body, headers={
        "Content-Type": "application/json", "X-API-Key": key,
    })
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 202
    assert time.monotonic() - started < 5  # publishing does not retry for long
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT status, queued_at IS NOT NULL FROM ingestion_mention WHERE external_id='e1'"
        ).fetchall()
    # Pending with a queued_at: the sweeper re-queues it once the broker is back.
    assert rows == [("pending", 1)]
