from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone

from .history import HistoryError, backfill_prometheus
from .models import SLO, Service, Snapshot, Source
from .sources import PrometheusError


class SLOInline(admin.TabularInline):
    model = SLO
    fields = ["name", "sli", "objective", "window", "source", "runbook"]
    extra = 0
    show_change_link = True


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "created_at"]
    search_fields = ["name", "owner"]
    inlines = [SLOInline]


@admin.register(SLO)
class SLOAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "service",
        "sli",
        "objective",
        "window",
        "budgeting",
        "source",
        "latest_status",
        "runbook",
    ]
    list_filter = ["service", "sli", "source", "window"]
    search_fields = ["name", "display_name", "service__name"]
    actions = ["backfill_from_prometheus"]
    fieldsets = [
        (None, {"fields": ["service", "name", "display_name", "description", "runbook"]}),
        (
            "Objective",
            {
                "fields": [
                    "sli",
                    "objective",
                    "window",
                    "budgeting",
                    "timeslice_target",
                    "threshold_ms",
                ]
            },
        ),
        ("Source", {"fields": ["source", "routes", "methods", "good_query", "total_query"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SLO]:
        latest = Snapshot.objects.filter(slo=OuterRef("pk")).order_by("-evaluated_at")
        return (
            super()
            .get_queryset(request)
            .select_related("service")
            .annotate(_latest_status=Subquery(latest.values("status")[:1]))
        )

    @admin.display(description="status", ordering="_latest_status")
    def latest_status(self, slo: SLO) -> str:
        return getattr(slo, "_latest_status", None) or "-"

    @admin.action(description="Backfill the whole period from Prometheus (hour steps)")
    def backfill_from_prometheus(self, request: HttpRequest, queryset: QuerySet[SLO]) -> None:
        now = timezone.now()
        for slo in queryset.filter(source=Source.PROMETHEUS):
            try:
                hours = backfill_prometheus(slo, now - timedelta(days=slo.history_days), now)
            except (HistoryError, PrometheusError) as exc:
                self.message_user(request, f"{slo}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{slo}: {hours} hours backfilled", messages.SUCCESS)
        skipped = queryset.exclude(source=Source.PROMETHEUS).count()
        if skipped:
            self.message_user(request, f"{skipped} SLOs skipped: not Prometheus", messages.WARNING)


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["slo", "evaluated_at", "status", "sli", "budget_remaining"]
    list_filter = ["status", "slo__service"]
    date_hierarchy = "evaluated_at"
    readonly_fields = [f.name for f in Snapshot._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Snapshot | None = None) -> bool:
        return False
