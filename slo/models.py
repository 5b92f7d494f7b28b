"""Services, their SLOs, the SLI buckets that feed them and the snapshots evaluation writes.

Storage design (sized for 10,000 SLOs on a 2-core box): per-minute SLI rows are kept only as
long as the longest burn window needs them (3 days + slack); the budget period (up to a
calendar month) is read from daily roll-ups of hourly roll-ups of those minutes. A 30-day
tick then reads ~30 day rows, the hours up to the first whole day and today's, and the
minutes of this hour and of each window's first partial hour per SLO — never 43,200 minutes
nor 720 hours.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from . import budget

# OpenSLO metadata.name is an RFC 1123 label; SLO and service names are the same, so a
# round trip through OpenSLO never renames anything.
NAME_VALIDATOR = RegexValidator(
    r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    "an RFC 1123 label: a-z, 0-9 and '-', at most 63 characters",
)
# Latency histogram upper bounds in milliseconds; a latency SLO's threshold must be one of them.
LATENCY_BOUNDS_MS = (50, 100, 250, 500, 1000, 2000, 5000, 10000)
LE_INF = 2_147_483_647  # the +Inf bucket
MINUTE_RETENTION = timedelta(days=3, hours=2)  # longest burn window (3d) + its partial hour
# History is accepted back to the start of the longest period an SLO can have, plus the 3-day
# burn window before it (so a replay of the period's first day has its burn rates), plus a
# day of slack: 34 days for a 30-day SLO, 35 for a calendar month.
BURN_HISTORY_DAYS, HISTORY_SLACK_DAYS = 3, 1
HOUR_RETENTION = timedelta(days=31 + BURN_HISTORY_DAYS + HISTORY_SLACK_DAYS)
REQUEST_RETENTION = timedelta(days=2)


class SLIKind(models.TextChoices):
    AVAILABILITY = "availability"  # non-5xx / all
    LATENCY = "latency"  # requests ≤ threshold / all
    ERROR_RATE = "error_rate"  # neither 5xx nor 429 (turned away) / all
    QUEUE_LAG = "queue_lag"  # minutes whose oldest pending mention is younger than threshold
    RATIO = "ratio"  # custom good / total


class Window(models.TextChoices):
    ROLLING_30D = "30d"
    ROLLING_28D = "28d"
    ROLLING_14D = "14d"
    ROLLING_7D = "7d"
    CALENDAR_MONTH = "calendar_month"


class Budgeting(models.TextChoices):
    OCCURRENCES = "occurrences"
    TIMESLICES = "timeslices"


class Source(models.TextChoices):
    TELEMETRY = "telemetry"  # the SIE's own request telemetry (and queue sampling)
    PUSH = "push"  # POST /api/v1/slos/{id}/events
    PROMETHEUS = "prometheus"  # PromQL good_query / total_query


class Status(models.TextChoices):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    NO_DATA = "no_data"


class Service(models.Model):
    name = models.CharField(max_length=63, unique=True, validators=[NAME_VALIDATOR])
    description = models.TextField(blank=True)
    owner = models.CharField(max_length=200, blank=True)
    # PagerDuty Events v2 integration key: a secret, never returned by the API.
    routing_key = models.CharField(max_length=64, blank=True)
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class SLO(models.Model):
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="slos")
    name = models.CharField(max_length=63, validators=[NAME_VALIDATOR])
    display_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    sli = models.CharField(max_length=16, choices=SLIKind.choices)
    objective = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(0.0001), MaxValueValidator(99.9999)],
        help_text="percent of good events (or timeslices), e.g. 99.9",
    )
    window = models.CharField(max_length=16, choices=Window.choices, default=Window.ROLLING_30D)
    budgeting = models.CharField(
        max_length=12, choices=Budgeting.choices, default=Budgeting.OCCURRENCES
    )
    source = models.CharField(max_length=12, choices=Source.choices)
    threshold_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="latency: a histogram bound; queue lag: the maximum lag"
    )
    # Timeslices: a minute is good when its own good/total reaches this (default: objective).
    timeslice_target = models.DecimalField(
        max_digits=7,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    # Telemetry: route templates (request.resolver_match.route) and methods; empty = all.
    routes = models.JSONField(default=list, blank=True)
    methods = models.JSONField(default=list, blank=True)
    good_query = models.TextField(blank=True)
    total_query = models.TextField(blank=True)
    runbook = models.SlugField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SLO"
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="slo_unique_name"),
            models.CheckConstraint(
                condition=Q(objective__gt=0, objective__lt=100), name="slo_objective_range"
            ),
            models.CheckConstraint(
                condition=~Q(sli__in=["latency", "queue_lag"], source="telemetry")
                | Q(threshold_ms__isnull=False),
                name="slo_threshold_required",
            ),
            models.CheckConstraint(
                condition=~Q(source="prometheus") | (~Q(good_query="") & ~Q(total_query="")),
                name="slo_prometheus_queries",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.name}/{self.name}" if self.service_id else self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saves, and re-judges every stored hour's timeslices when the rule that judged
        them changed: otherwise 5m–6h burns (fresh minutes) and 1d/3d (old hours) disagree."""
        super().save(*args, **kwargs)
        judged_by = getattr(self, "_judged_by", None)
        if judged_by is not None and judged_by != self._slice_rule():
            self.rejudge_timeslices()
        self._judged_by = self._slice_rule()

    @property
    def objective_percent(self) -> float:
        return float(self.objective)

    @property
    def history_days(self) -> int:
        """How far back counts are accepted (see HOUR_RETENTION)."""
        period = budget.ROLLING_DAYS.get(self.window, 31)
        return period + BURN_HISTORY_DAYS + HISTORY_SLACK_DAYS

    @property
    def slice_target(self) -> Decimal:
        """The ratio a minute must reach to be a good timeslice (default: the objective)."""
        if self.timeslice_target is not None:
            return Decimal(self.timeslice_target)
        return Decimal(self.objective) / 100

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> SLO:
        slo = super().from_db(db, field_names, values)
        if not {"budgeting", "objective", "timeslice_target"} & slo.get_deferred_fields():
            slo._judged_by = slo._slice_rule()
        return slo

    def _slice_rule(self) -> tuple[Any, ...]:
        return (self.budgeting, Decimal(self.objective), self.timeslice_target)

    def rejudge_timeslices(self) -> int:
        """Recount good slices of every hour from its minutes; returns hours changed."""
        target, changed = self.slice_target, []
        for hour in SLIHour.objects.filter(slo=self).exclude(minutes={}):
            good, total = hour.slices(target)
            if (good, total) != (hour.good_slices, hour.total_slices):
                hour.good_slices, hour.total_slices = good, total
                changed.append(hour)
        SLIHour.objects.bulk_update(changed, ["good_slices", "total_slices"], batch_size=500)
        from .buckets import roll_up_days  # buckets imports this module

        roll_up_days({hour.hour for hour in changed}, [self.pk])
        return len(changed)


class RequestBucket(models.Model):
    """Request counts of the SIE itself per minute, route template, method, status class and
    latency bucket; processes add into it (ON CONFLICT DO UPDATE SET n = n + excluded.n)."""

    minute = models.DateTimeField()
    route = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    status_class = models.CharField(max_length=3)  # 1xx … 5xx, and 429 on its own
    le_ms = models.IntegerField()
    n = models.BigIntegerField(default=0)

    class Meta:
        db_table = "slo_request_bucket"
        constraints = [
            models.UniqueConstraint(
                fields=["minute", "route", "method", "status_class", "le_ms"],
                name="request_bucket_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minute:%H:%M} {self.method} {self.route} {self.status_class} ≤{self.le_ms}"


class SLIMinute(models.Model):
    """Good/total events of one SLO in one minute (telemetry, push, Prometheus or sampling)."""

    slo = models.ForeignKey(SLO, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    # Floats: Prometheus increase() is fractional; doubles stay exact for integer counts < 2**53.
    good = models.FloatField(default=0)
    total = models.FloatField(default=0)

    class Meta:
        db_table = "slo_sli_minute"
        constraints = [
            models.UniqueConstraint(fields=["slo", "minute"], name="sli_minute_key"),
            models.CheckConstraint(
                condition=Q(good__gte=0, total__gte=models.F("good")), name="sli_minute_counts"
            ),
        ]
        # Every tick range-scans recent minutes across all SLOs, and pruning deletes old ones.
        indexes = [models.Index(fields=["minute"], name="sli_minute_time")]

    def __str__(self) -> str:
        return f"SLO {self.slo_id} @ {self.minute:%Y-%m-%d %H:%M}: {self.good}/{self.total}"


class SLIHour(models.Model):
    """Hourly roll-up of SLIMinute, recomputed (not added to) from the minutes; the slice
    columns count minutes with traffic and the good ones among them for timeslice budgets.

    `minutes` keeps the hour's minutes ({"37": [good, total]}) after the minute rows are
    pruned: a rolling period starting at 12:37 thirty days ago counts that hour from 12:37,
    a changed slice target re-judges every minute, and a replaced old minute is exact. An
    hour written from Prometheus `query_range` in hour steps has no minutes ({})."""

    slo = models.ForeignKey(SLO, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    good = models.FloatField(default=0)
    total = models.FloatField(default=0)
    good_slices = models.IntegerField(default=0)
    total_slices = models.IntegerField(default=0)
    minutes = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "slo_sli_hour"
        constraints = [models.UniqueConstraint(fields=["slo", "hour"], name="sli_hour_key")]
        indexes = [models.Index(fields=["hour"], name="sli_hour_time")]

    def __str__(self) -> str:
        return f"SLO {self.slo_id} @ {self.hour:%Y-%m-%d %H}h: {self.good}/{self.total}"

    def slices(self, target: Decimal) -> tuple[int, int]:
        """(good, total) timeslices of this hour's minutes against `target`."""
        verdicts = [budget.timeslice(g, t, float(target)) for g, t in self.minutes.values()]
        return sum(v.good for v in verdicts), sum(v.total for v in verdicts)


class SLIDay(models.Model):
    """Daily roll-up of SLIHour, recomputed (not added to) from the day's hours whenever one
    of them is written. A tick reads a 30-day period as ~30 day rows plus the hours and
    minutes at its two edges instead of ~720 hourly rows: 10,000 SLOs stay one small scan."""

    slo = models.ForeignKey(SLO, on_delete=models.CASCADE, related_name="+")
    day = models.DateTimeField()  # 00:00 UTC
    good = models.FloatField(default=0)
    total = models.FloatField(default=0)
    good_slices = models.IntegerField(default=0)
    total_slices = models.IntegerField(default=0)

    class Meta:
        db_table = "slo_sli_day"
        constraints = [models.UniqueConstraint(fields=["slo", "day"], name="sli_day_key")]
        indexes = [models.Index(fields=["day"], name="sli_day_time")]

    def __str__(self) -> str:
        return f"SLO {self.slo_id} @ {self.day:%Y-%m-%d}: {self.good}/{self.total}"


class Snapshot(models.Model):
    """One evaluation of one SLO as of `evaluated_at` (unique: re-running a tick overwrites)."""

    slo = models.ForeignKey(SLO, on_delete=models.CASCADE, related_name="snapshots")
    evaluated_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices)
    sli = models.FloatField(null=True)
    good = models.FloatField(default=0)  # over the budget period (events or timeslices)
    total = models.FloatField(default=0)
    budget_total = models.FloatField()
    budget_consumed = models.FloatField(null=True)
    budget_remaining = models.FloatField(null=True)
    burn_rates = models.JSONField(default=dict)  # {"5m": 0.4, …, "3d": None}
    alerts = models.JSONField(default=list)

    class Meta:
        get_latest_by = "evaluated_at"
        constraints = [
            models.UniqueConstraint(fields=["slo", "evaluated_at"], name="snapshot_key"),
        ]
        indexes = [
            models.Index(fields=["slo", "-evaluated_at"], name="snapshot_latest"),
            models.Index(fields=["evaluated_at"], name="snapshot_time"),
        ]

    def __str__(self) -> str:
        return f"{self.slo} @ {self.evaluated_at:%Y-%m-%d %H:%M}: {self.status}"
