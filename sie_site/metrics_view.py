"""GET /metrics: Prometheus text exposition of every process, plus queue and process gauges."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator
from ipaddress import ip_address
from pathlib import Path

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.process_collector import ProcessCollector

from ingestion.models import DeadLetter, Mention, MentionStatus
from sie_site import metrics
from sie_site.errors import error_response
from slo.exposition import SLOCollector

log = structlog.get_logger(__name__)

QUEUE_CACHE_KEY = "metrics:queue-lengths"
ENRICHMENT_QUEUE = "enrichment"


def _queue_families(pending: int | None, dead: int | None) -> list[Metric]:
    depth = GaugeMetricFamily(
        "sie_queue_depth", "Mentions waiting for enrichment", labels=["queue_name"]
    )
    dlq = GaugeMetricFamily("sie_dlq_length", "Dead letters not replayed yet")
    if pending is not None and dead is not None:
        depth.add_metric([ENRICHMENT_QUEUE], pending)
        dlq.add_metric([], dead)
    return [depth, dlq]


def queue_lengths() -> tuple[int, int]:
    """(pending mentions, open dead letters): one COUNT each, shared by every process for a
    few seconds so frequent scrapes (or several Prometheus servers) cost no more queries."""
    cached = cache.get(QUEUE_CACHE_KEY)
    if cached is None:
        # Both counts are served by partial indexes (mention_pending, deadletter_open).
        pending = Mention.objects.filter(status=MentionStatus.PENDING).count()
        dead = DeadLetter.objects.filter(replayed_at=None).count()
        cached = (pending, dead)
        cache.set(QUEUE_CACHE_KEY, cached, timeout=settings.SIE_METRICS_QUEUE_CACHE_SECONDS)
    return cached[0], cached[1]


class QueueCollector:
    """sie_queue_depth / sie_dlq_length, read from the database at scrape time."""

    def describe(self) -> list[Metric]:
        # Lets the registry learn the names without running queries at registration.
        return _queue_families(None, None)

    def collect(self) -> list[Metric]:
        try:
            pending, dead = queue_lengths()
        except DatabaseError as exc:
            # A scrape still reports everything else; the missing series show the outage.
            log.warning("queue_metrics_unavailable", error_message=str(exc))
            return _queue_families(None, None)
        return _queue_families(pending, dead)


class MultiProcessFilesCollector:
    """prometheus_client's multiprocess merge over every process group's directory."""

    def __init__(self, own_dir: Path):
        self.own_dir = own_dir

    def collect(self) -> Iterable[Metric]:
        return multiprocess.MultiProcessCollector.merge(metrics.metric_files(self.own_dir))


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


class LiveProcessesCollector:
    """process_* metrics of every live process that writes metrics, labelled by pid."""

    def __init__(self, own_dir: Path):
        self.own_dir = own_dir

    def collect(self) -> Iterator[Metric]:
        merged: dict[str, Metric] = {}
        for pid in sorted(p for p in metrics.pids_with_files(self.own_dir) if _alive(p)):
            for family in ProcessCollector(pid=lambda p=pid: p, registry=None).collect():
                target = merged.setdefault(
                    family.name, Metric(family.name, family.documentation, family.type)
                )
                for sample in family.samples:
                    labels = {**sample.labels, "pid": str(pid)}
                    target.add_sample(sample.name, labels, sample.value)
        yield from merged.values()


def build_registry() -> CollectorRegistry:
    own_dir = metrics.multiproc_dir()
    if own_dir is None:
        # Single process: the default registry already has process/platform/GC collectors.
        REGISTRY.register(QueueCollector())
        REGISTRY.register(SLOCollector())
        return REGISTRY
    registry = CollectorRegistry()
    registry.register(MultiProcessFilesCollector(own_dir))
    registry.register(LiveProcessesCollector(own_dir))
    registry.register(QueueCollector())
    registry.register(SLOCollector())
    return registry


EXPOSED = build_registry()


def scrape_allowed(request: HttpRequest) -> bool:
    """A bearer token (when configured) or a client address on the allow-list."""
    token = settings.SIE_METRICS_TOKEN
    supplied = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
        return True
    try:
        client = ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(client in network for network in settings.SIE_METRICS_ALLOWED_NETWORKS)


MISSING_MULTIPROCESS = (
    "gunicorn was started without gunicorn.conf.py (run it from the repository root or pass "
    "-c): each worker would report only its own requests as the totals"
)


def _per_worker_only(request: HttpRequest) -> bool:
    # gunicorn.conf.py always sets PROMETHEUS_MULTIPROC_DIR; a gunicorn without it keeps one
    # registry per worker, and whichever worker answers would pass its counts off as totals.
    under_gunicorn = request.META.get("SERVER_SOFTWARE", "").startswith("gunicorn")
    return under_gunicorn and metrics.multiproc_dir() is None


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.SIE_METRICS_ENABLED:
        raise Http404("metrics are disabled")
    if not scrape_allowed(request):
        return error_response(403, "forbidden", "this client may not read /metrics")
    if _per_worker_only(request):
        return error_response(503, "unavailable", MISSING_MULTIPROCESS)
    # Our names are all legacy-safe, so the 0.0.4 text format every Prometheus 2.x parses.
    return HttpResponse(generate_latest(EXPOSED), content_type=CONTENT_TYPE_PLAIN_0_0_4)
