"""Seed the threshold rules of SPEC §6 for the SIE itself, and repoint the every-minute Beat
entry (slo migration 0003) at incidents.tick, which evaluates the SLOs and then the alert
rules in the same tick (slo never imports incidents: data flows one way)."""

from __future__ import annotations

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

SERVICE = "sie-ingestion"
SLO_TASK, TICK_TASK = "slo.evaluate_slos", "incidents.tick"
# name (runbooks list it under `alerts:`), metric, threshold, for, severity, runbook
RULES = [
    ("5xx > 1% for 5 min", "error_ratio_5xx", 0.01, 5, "P1", "high-error-rate"),
    ("P99 > 5 s for 10 min", "latency_p99_ms", 5000, 10, "P2", "high-latency"),
    ("queue depth > 10K for 15 min", "queue_depth", 10_000, 15, "P2", "queue-backup"),
    ("AI 429s > 10/min", "ai_429_per_min", 10, 0, "P2", "ai-rate-limits"),
    ("DLQ growing", "dlq_growth", 0, 10, "P3", "queue-backup"),
    ("memory > 90% for 5 min", "memory_percent", 90, 5, "P3", "memory-pressure"),
    ("PagerDuty outbox backlog", "outbox_backlog", 0, 5, "P3", "pagerduty-delivery-failures"),
]


def seed_rules(apps, schema_editor):
    AlertRule = apps.get_model("incidents", "AlertRule")
    service = apps.get_model("slo", "Service").objects.filter(name=SERVICE).first()
    for name, metric, threshold, minutes, severity, runbook in RULES:
        AlertRule.objects.get_or_create(
            name=name,
            defaults={
                "kind": "threshold", "metric": metric, "threshold": threshold,
                "for_duration": timedelta(minutes=minutes), "severity": severity,
                "runbook": runbook, "service": service, "summary": f"SIE: {name}",
            },
        )  # fmt: skip


def seed_burn_rate_rules(apps, schema_editor):
    # What incidents.alerting.ensure_burn_rate_rules does each tick, done now so the runbooks
    # check finds the SIE's own burn-rate rules right after the first migrate.
    AlertRule = apps.get_model("incidents", "AlertRule")
    for slo in apps.get_model("slo", "SLO").objects.select_related("service"):
        AlertRule.objects.get_or_create(
            slo=slo,
            defaults={
                "name": f"burn rate: {slo.service.name}/{slo.name}", "kind": "burn_rate",
                "service": slo.service, "runbook": slo.runbook or "slo-burn-rate",
                "summary": f"SLO {slo.service.name}/{slo.name} is burning its error budget",
            },
        )  # fmt: skip


def unseed_rules(apps, schema_editor):
    names = [rule[0] for rule in RULES]
    apps.get_model("incidents", "AlertRule").objects.filter(name__in=names).delete()


def point_beat_at_tick(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=SLO_TASK).update(task=TICK_TASK, queue="alerting")
    _tell_beat(apps)


def point_beat_at_slo(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=TICK_TASK).update(task=SLO_TASK, queue=None)
    _tell_beat(apps)


def _tell_beat(apps):
    # QuerySet.update() skips django_celery_beat's signals; a running Beat re-reads its
    # schedule when this timestamp moves.
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("slo", "0003_beat_schedule"),
        ("runbooks", "0002_runbook_search_index"),
    ]
    operations = [
        migrations.RunPython(seed_rules, unseed_rules),
        migrations.RunPython(seed_burn_rate_rules, migrations.RunPython.noop),
        migrations.RunPython(point_beat_at_tick, point_beat_at_slo),
    ]
