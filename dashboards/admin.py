from __future__ import annotations

from django.contrib import admin

from .models import CapacityMeasurement


@admin.register(CapacityMeasurement)
class CapacityMeasurementAdmin(admin.ModelAdmin):
    list_display = ["component", "measured_at", "cpu_seconds", "units", "source"]
    list_filter = ["component", "source"]
    search_fields = ["source"]
    date_hierarchy = "measured_at"
