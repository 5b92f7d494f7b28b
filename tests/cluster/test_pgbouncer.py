"""The product works through PgBouncer in transaction mode: ingest, enrichment, insights."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection

from ingestion.models import ApiKey, Customer, HourlyRollup, Mention, MentionStatus, Project
from tests.conftest import requires_postgres, requires_redis
from tests.processes import ROOT, start_gunicorn, wait_for

from .services import PgBouncer
from .traffic import call


def settings_under(env: dict[str, str]) -> str:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; "
        "print(d.get('DISABLE_SERVER_SIDE_CURSORS'), d['OPTIONS'].get('prepare_threshold', '-'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "sie_site.settings", **env},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_pgbouncer_mode_turns_off_server_side_cursors_and_prepared_statements():
    url = "postgres://sie@127.0.0.1:6432/sie"
    assert settings_under({"DATABASE_URL": url, "SIE_DB_PGBOUNCER": "true"}) == "True None"
    assert settings_under({"DATABASE_URL": url, "SIE_DB_PGBOUNCER": "false"}) == "False -"


@requires_postgres
@requires_redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_ingest_enrichment_and_insights_work_through_pgbouncer_in_transaction_mode(tmp_path):
    customer = Customer.objects.create(name="acme", tier="enterprise")
    Project.objects.create(customer=customer, slug="acme", brand_terms=["Acme"])
    _, key = ApiKey.issue(customer)
    db = connection.settings_dict
    # A pool of 2 server connections for up to 4 gunicorn threads x pool: every transaction
    # is likely to land on a different backend than the one before it.
    bouncer = PgBouncer(upstream_port=int(db["PORT"] or 5432), pool_size=2).start()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{bouncer.port}/{db['NAME']}",
        "SIE_DB_PGBOUNCER": "true",
        "SIE_VAR_DIR": str(tmp_path),
    }
    web, base = start_gunicorn(env, workers=2)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sie_site", "worker", "-P", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        for n in range(12):
            batch = [{"project": "acme", "external_id": f"e{n}-{i}",
                      "text": f"I love Acme #great {n}" if i % 2 else "Acme is awful"}
                     for i in range(5)]
            status, _, answer = call(f"{base}/ingest", {"mentions": batch}, key)
            assert status == 202, answer
        wait_for(lambda: not Mention.objects.exclude(status=MentionStatus.ENRICHED).exists(),
                 timeout=120)
        status, _, insights = call(f"{base}/insights?project=acme&interval=hour", key=key)
        status_list, _, listed = call(f"{base}/api/v1/mentions?project=acme&limit=500", key=key)
    finally:
        web.terminate()
        worker.terminate()
        web.wait(timeout=30)
        output = worker.communicate(timeout=30)[0]
        bouncer.stop()
    assert status == 200 and status_list == 200
    counts = (insights["total"], insights["enriched"], insights["pending"])
    assert counts == (60, 60, 0), output[-3000:]
    for label in ("positive", "neutral", "negative"):
        stored = Mention.objects.filter(sentiment=label).count()
        assert insights["sentiment"][label] == stored
    assert len(listed["results"]) == 60
    assert Mention.objects.filter(status=MentionStatus.ENRICHED).count() == 60
    assert sum(HourlyRollup.objects.values_list("count", flat=True)) == 60
