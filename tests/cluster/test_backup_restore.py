"""pg_dump / pg_restore into a fresh database: the product starts on the copy and serves the
same insights (README, "Backup and restore")."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import requires_postgres
from tests.processes import wait_for

from .services import PG_BIN
from .stack import Stack
from .traffic import call

pytestmark = [requires_postgres, pytest.mark.slow]


def test_a_restored_backup_serves_the_same_insights_and_mentions(stack: Stack):
    key = stack.api_key()
    stack.worker("-P", "solo")
    _, base = stack.web(workers=1)
    batch = [{"project": "acme", "external_id": f"b{i}",
              "text": "I love Acme #great" if i % 3 else "Acme support is terrible"}
             for i in range(30)]
    assert call(f"{base}/ingest", {"mentions": batch}, key)[0] == 202
    insights_url = f"{base}/insights?project=acme&interval=hour"
    assert wait_for(lambda: call(insights_url, key=key)[2].get("enriched") == 30, timeout=120), \
        stack.logs()
    before = call(insights_url, key=key)[2]
    listed = call(f"{base}/api/v1/mentions?project=acme&limit=500", key=key)[2]["results"]
    stack.stop_all()

    dump = stack.var_dir / "sie.dump"
    server = ["-h", "127.0.0.1", "-p", str(stack.pg.port), "-U", "postgres"]
    subprocess.run([str(PG_BIN / "pg_dump"), *server, "-Fc", "-f", str(dump), stack.database],
                   check=True, capture_output=True)
    restored = Stack(stack.pg, stack.redis, stack.var_dir, database=f"{stack.database}_restored")
    stack.pg.create_database(restored.database)
    subprocess.run([str(PG_BIN / "pg_restore"), *server, "--no-owner", "--exit-on-error",
                    "-d", restored.database, str(dump)], check=True, capture_output=True)
    try:
        _, copy = restored.web(workers=1)
        after = call(f"{copy}/insights?project=acme&interval=hour", key=key)[2]
        relisted = call(f"{copy}/api/v1/mentions?project=acme&limit=500", key=key)[2]["results"]
    finally:
        restored.stop_all()
    print(f"[backup] dump {dump.stat().st_size} bytes; insights equal: {after == before}")
    assert after == before and before["enriched"] == 30
    assert relisted == listed
