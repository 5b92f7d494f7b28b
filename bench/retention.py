"""Retention cost: fill the mention table with N rows spread over 439 days (the oldest 10 %
past the 395-day default), then time ingestion.retention.delete_expired working them off,
and a second run with nothing left to delete.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sie_w9_retention \
        .venv/bin/python bench/retention.py [--rows 10000000] [--batch 5000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sie_site.settings")

SPAN_DAYS = 439  # 395-day retention + 10 % older

FILL = """
INSERT INTO ingestion_mention (project_id, external_id, text, source, author, url, lang,
    metadata, received_at, occurred_at, status, queued_at, enriched_at, sentiment, compound,
    positive, neutral, negative, entities, hashtags, keywords, detected_lang, ai, degraded)
SELECT %(project)s, 'r' || i, 'I love Acme number ' || i || ' #retention', 'bench', '', '', '',
    '{}', ts, ts, 'enriched', ts, ts, 'positive', 0.6, 0.5, 0.5, 0.0, '[]', '["retention"]',
    '[]', 'en', '{}', false
FROM generate_series(%(start)s, %(stop)s) AS i,
     LATERAL (SELECT now() - make_interval(secs => %(span)s * (1 - i::float / %(rows)s))) t(ts)
"""


def fill(rows: int, chunk: int = 500_000) -> float:
    from django.db import connection

    from ingestion.models import Customer, Mention, Project

    Mention.objects.all()._raw_delete(Mention.objects.db)
    customer, _ = Customer.objects.get_or_create(name="retention-bench")
    project, _ = Project.objects.get_or_create(customer=customer, slug="retention-bench")
    started = time.monotonic()
    for start in range(1, rows + 1, chunk):
        with connection.cursor() as cursor:
            cursor.execute(FILL, {"project": project.pk, "start": start,
                                  "stop": min(start + chunk - 1, rows), "rows": rows,
                                  "span": SPAN_DAYS * 86400})
        print(f"  filled {min(start + chunk - 1, rows):,}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ingestion_mention")
    return time.monotonic() - started


def table_size() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('ingestion_mention'))")
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--skip-fill", action="store_true")
    args = parser.parse_args()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from ingestion.models import Mention
    from ingestion.retention import delete_expired

    if not args.skip_fill:
        print(f"fill {args.rows:,} rows: {fill(args.rows):.0f}s; table {table_size()}")
    now = timezone.now()
    cutoff = now - timedelta(days=settings.SIE_MENTION_RETENTION_DAYS)
    expired = Mention.objects.filter(received_at__lt=cutoff).count()
    started = time.monotonic()
    run = delete_expired(now=now, batch_size=args.batch, max_batches=10**6)
    took = time.monotonic() - started
    print(f"delete {run.deleted:,} of {expired:,} expired rows in {run.batches} batches of "
          f"{args.batch}: {took:.1f}s ({run.deleted / took:,.0f} rows/s, "
          f"{took / run.batches * 1000:.0f} ms/batch)")
    started = time.monotonic()
    again = delete_expired(now=now, batch_size=args.batch, max_batches=10**6)
    print(f"next run, nothing expired: {again.deleted} rows, {again.batches} batch, "
          f"{(time.monotonic() - started) * 1000:.0f} ms; table {table_size()} (before VACUUM)")


if __name__ == "__main__":
    main()
