"""`manage.py backfill_slo SLO --from ISO [--to ISO]` and its admin action, against a fake
Prometheus on 127.0.0.1 that answers query_range in hour steps."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from slo.models import SLIHour

from .conftest import AT, fill

GOOD, TOTAL = "sum(increase(ok[$window]))", "sum(increase(all[$window]))"
OUTAGE_END = AT.replace(minute=0) - timedelta(days=9)  # the hour before it: 10 % bad


class RangePrometheus(BaseHTTPRequestHandler):
    received: list[dict[str, str]] = []

    def do_GET(self):  # noqa: N802
        params = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        self.received.append({"path": urlparse(self.path).path, **params})
        start, end, step = (float(params[k]) for k in ("start", "end", "step"))
        values, t = [], start
        while t <= end:
            at = datetime.fromtimestamp(t, tz=UTC)
            if "all" in params["query"]:
                values.append([t, "1000"])
            elif at != OUTAGE_END:
                values.append([t, "999"])
            else:
                values.append([t, "900"])
            t += step
        # Two series per query: the backfill sums them.
        half = [[t, str(float(v) / 2)] for t, v in values]
        result = [
            {"metric": {"pod": "a"}, "values": half},
            {"metric": {"pod": "b"}, "values": half},
        ]
        body = {"status": "success", "data": {"resultType": "matrix", "result": result}}
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def prometheus(settings):
    RangePrometheus.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), RangePrometheus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SIE_PROMETHEUS_URL = f"http://127.0.0.1:{server.server_port}"
    yield RangePrometheus
    server.shutdown()
    server.server_close()


def backfill(*args: str) -> str:
    out = StringIO()
    call_command("backfill_slo", *args, stdout=out)
    return out.getvalue()


def test_thirty_days_come_back_as_hourly_buckets_in_two_range_queries(prometheus, make_slo):
    slo = make_slo(source="prometheus", good_query=GOOD, total_query=TOTAL)
    start = AT - timedelta(days=30)
    for _ in range(2):  # idempotent
        out = backfill(str(slo.pk), "--from", start.isoformat(), "--to", AT.isoformat())
    assert f"backfilled 719 hours of {slo}" in out
    hours = SLIHour.objects.filter(slo=slo)
    assert hours.count() == 719
    assert sum(h.total for h in hours) == 719_000
    assert hours.get(hour=OUTAGE_END - timedelta(hours=1)).good == 900
    assert sum(h.good for h in hours) == 719_000 - 718 - 100
    queries = [(r["path"], r["query"], r["step"]) for r in prometheus.received[-2:]]
    assert queries == [
        ("/api/v1/query_range", GOOD.replace("$window", "1h"), "3600"),
        ("/api/v1/query_range", TOTAL.replace("$window", "1h"), "3600"),
    ]


def test_hours_that_keep_live_minutes_are_left_alone(prometheus, make_slo):
    slo = make_slo(source="prometheus", good_query=GOOD, total_query=TOTAL)
    live = AT.replace(minute=0) - timedelta(hours=2)
    fill(slo, [(live + timedelta(minutes=5), 7, 7)])
    frm = (AT - timedelta(days=1)).isoformat()
    backfill(f"{slo.service.name}/{slo.name}", "--from", frm, "--to", AT.isoformat())
    assert SLIHour.objects.get(slo=slo, hour=live).total == 7


def test_the_admin_action_backfills_the_selected_slos(prometheus, make_slo, client):
    slo = make_slo(source="prometheus", good_query=GOOD, total_query=TOTAL)
    client.force_login(User.objects.create_superuser("admin", password="x"))
    response = client.post(
        "/admin/slo/slo/",
        {"action": "backfill_from_prometheus", "_selected_action": [slo.pk], "index": 0},
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "hours backfilled" in text
    assert SLIHour.objects.filter(slo=slo).count() >= 30 * 24


def test_a_range_longer_than_the_hourly_retention_is_refused(prometheus, make_slo):
    slo = make_slo(source="prometheus", good_query=GOOD, total_query=TOTAL)
    with pytest.raises(CommandError, match="at most 35 days"):
        backfill(
            str(slo.pk), "--from", (AT - timedelta(days=60)).isoformat(), "--to", AT.isoformat()
        )
    assert not SLIHour.objects.filter(slo=slo).exists()
