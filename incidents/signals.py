"""What threshold rules read: numbers computed from data the product already stores
(request telemetry minutes, pending mentions, dead letters, the outbox, the host).

Each reader returns None when there is nothing to judge (no traffic, no data), which never
fires a rule. One query per metric per tick, whatever the number of rules.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.db.models import Sum

from ingestion.models import DeadLetter, Mention, MentionStatus
from slo.models import LE_INF, RequestBucket

from .models import Metric, OutboxEvent, OutboxStatus

MINUTE = timedelta(minutes=1)
INF_MS = 60_000.0  # p99 beyond the largest bucket: report a minute, well above any threshold


def error_ratio_5xx(at: datetime) -> float | None:
    """5xx ÷ all requests in the last complete minute."""
    rows = RequestBucket.objects.filter(minute__gte=at - MINUTE, minute__lt=at)
    by_class = dict(rows.values_list("status_class").annotate(n=Sum("n")))
    total = sum(by_class.values())
    return by_class.get("5xx", 0) / total if total else None


def latency_p99_ms(at: datetime) -> float | None:
    """The latency bucket bound under which 99 % of last minute's requests finished."""
    rows = RequestBucket.objects.filter(minute__gte=at - MINUTE, minute__lt=at)
    counts = sorted(rows.values_list("le_ms").annotate(n=Sum("n")))
    total = sum(n for _, n in counts)
    seen = 0
    for le_ms, n in counts:
        seen += n
        if total and seen >= 0.99 * total:
            return INF_MS if le_ms == LE_INF else float(le_ms)
    return None


def queue_depth(at: datetime) -> float | None:
    return float(Mention.objects.filter(status=MentionStatus.PENDING).count())


def dlq_growth(at: datetime) -> float | None:
    """Dead letters added in the last ten minutes and not replayed."""
    recent = DeadLetter.objects.filter(failed_at__gt=at - 10 * MINUTE, replayed_at=None)
    return float(recent.count())


def outbox_backlog(at: datetime) -> float | None:
    """PagerDuty events still undelivered five minutes after they were written."""
    stale = OutboxEvent.objects.filter(
        status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING], created_at__lt=at - 5 * MINUTE
    )
    return float(stale.count())


def memory_percent(at: datetime, meminfo: Path = Path("/proc/meminfo")) -> float | None:
    """Host memory in use (MemTotal − MemAvailable), percent; None where /proc is absent."""
    try:
        fields = dict(line.split(":", 1) for line in meminfo.read_text().splitlines())
        total = float(fields["MemTotal"].split()[0])
        available = float(fields["MemAvailable"].split()[0])
    except (OSError, KeyError, ValueError):
        return None
    return 100.0 * (total - available) / total if total else None


def ai_429_per_min(at: datetime) -> float | None:
    # The remote AI model's 429s are only counted in per-process Prometheus counters
    # (sie_ai_requests_total{status="rate_limited"}); no table stores them yet, so this
    # reads nothing (the rule never fires here) until one does.
    return None


READERS: dict[str, Callable[[datetime], float | None]] = {
    Metric.ERROR_RATIO_5XX: error_ratio_5xx,
    Metric.LATENCY_P99_MS: latency_p99_ms,
    Metric.QUEUE_DEPTH: queue_depth,
    Metric.AI_429_PER_MIN: ai_429_per_min,
    Metric.DLQ_GROWTH: dlq_growth,
    Metric.MEMORY_PERCENT: memory_percent,
    Metric.OUTBOX_BACKLOG: outbox_backlog,
}


def read(metrics: set[str], at: datetime) -> dict[str, float | None]:
    """The current value of each metric some enabled rule needs."""
    return {metric: READERS[metric](at) for metric in metrics}
