from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import Runbook, RunbookRevision


class RevisionInline(admin.TabularInline):
    model = RunbookRevision
    fields = ["number", "content_hash", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Runbook | None = None) -> bool:
        return False


@admin.register(Runbook)
class RunbookAdmin(admin.ModelAdmin):
    """Read-only: runbooks are edited in git (runbooks/library/) and synced."""

    list_display = ["slug", "title", "source_path", "updated_at", "archived_at"]
    list_filter = [("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["slug", "title", "body"]
    readonly_fields = ["slug", "title", "tags", "services", "alerts", "body", "source_path",
                       "content_hash", "created_at", "updated_at", "archived_at"]  # fmt: skip
    inlines = [RevisionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Runbook | None = None) -> bool:
        return False  # removing the file archives it; history is never deleted


@admin.register(RunbookRevision)
class RunbookRevisionAdmin(admin.ModelAdmin):
    list_display = ["runbook", "number", "content_hash", "created_at"]
    list_select_related = ["runbook"]
    search_fields = ["runbook__slug"]
    readonly_fields = ["runbook", "number", "content_hash", "source", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: RunbookRevision | None = None
    ) -> bool:
        return False
