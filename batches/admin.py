from django.contrib import admin

from .models import Batch, BatchRow


class BatchRowInline(admin.TabularInline):
    model = BatchRow
    fields = ("line", "prompt", "model", "size", "seconds", "takes", "title", "reason")
    readonly_fields = ("line", "prompt", "model", "size", "seconds", "takes", "title", "reason")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    """Read only: a plan is its maker's to change, and a generated one is history."""

    list_display = ["__str__", "owner", "created_at", "generated_at", "project"]
    list_filter = ["generated_at"]
    readonly_fields = (
        "owner",
        "name",
        "encoding",
        "ignored_columns",
        "project",
        "created_at",
        "generated_at",
    )
    fields = readonly_fields
    inlines = [BatchRowInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
