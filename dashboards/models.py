"""What the product measured about its own cost: the planner's only input besides the plan."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Component(models.TextChoices):
    API = "api"  # CPU seconds per ingest request (one mention a request)
    WORKER = "worker"  # CPU seconds per enriched mention


class CapacityMeasurement(models.Model):
    component = models.CharField(max_length=8, choices=Component.choices)
    cpu_seconds = models.FloatField()
    units = models.PositiveIntegerField()
    source = models.CharField(max_length=64, help_text="what measured it, e.g. measure_capacity")
    measured_at = models.DateTimeField(default=timezone.now)

    class Meta:
        get_latest_by = "measured_at"
        indexes = [models.Index(fields=["component", "-measured_at"], name="capacity_latest")]

    def __str__(self) -> str:
        return f"{self.component}: {self.per_unit * 1000:.2f} ms CPU/unit ({self.measured_at:%F})"

    @property
    def per_unit(self) -> float:
        return self.cpu_seconds / self.units
