from __future__ import annotations

from django.contrib import admin, messages

from . import recovery
from .models import ApiKey, Customer, DeadLetter, HourlyRollup, Mention, Project, TermRollup


class ProjectInline(admin.TabularInline):
    model = Project
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "created_at"]
    list_filter = ["tier"]
    search_fields = ["name"]
    inlines = [ProjectInline]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["slug", "customer", "created_at"]
    list_filter = ["customer__tier"]
    search_fields = ["slug", "customer__name"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "customer", "name", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "customer__tier"]
    search_fields = ["prefix", "name", "customer__name"]
    readonly_fields = ["prefix", "key_hash", "created_at", "revoked_at"]
    actions = ["revoke"]

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request, queryset):
        for key in queryset.active():
            key.revoke()
        self.message_user(request, "Keys revoked.", messages.SUCCESS)


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "project",
        "external_id",
        "status",
        "sentiment",
        "degraded",
        "occurred_at",
    ]
    list_filter = ["status", "sentiment", "degraded"]
    search_fields = ["external_id"]
    raw_id_fields = ["project"]
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is too slow


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ["id", "task_name", "error_type", "attempts", "failed_at", "replayed_at"]
    list_filter = ["error_type", ("replayed_at", admin.EmptyFieldListFilter), "task_name"]
    search_fields = ["task_name", "error_type", "error_message"]
    actions = ["replay"]

    @admin.action(description="Replay selected dead letters")
    def replay(self, request, queryset):
        count = sum(recovery.replay(letter) for letter in queryset.filter(replayed_at=None))
        self.message_user(request, f"{count} mentions re-queued.", messages.SUCCESS)


@admin.register(HourlyRollup)
class HourlyRollupAdmin(admin.ModelAdmin):
    list_display = ["project", "bucket", "count", "positive", "neutral", "negative"]
    list_filter = ["project"]
    search_fields = ["project__slug"]
    date_hierarchy = "bucket"


@admin.register(TermRollup)
class TermRollupAdmin(admin.ModelAdmin):
    list_display = ["project", "bucket", "kind", "text", "label", "count"]
    list_filter = ["kind", "project"]
    search_fields = ["text", "project__slug"]
    date_hierarchy = "bucket"
