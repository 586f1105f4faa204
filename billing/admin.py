from django.contrib import admin
from django.shortcuts import redirect

from .models import AuditEntry, LedgerEntry, Member, Price, StudioSettings


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ("model", "tier", "list_per_second", "updated_at")


@admin.register(StudioSettings)
class StudioSettingsAdmin(admin.ModelAdmin):
    """The one settings row: billing's and the team's choices together."""

    list_display = (
        "__str__",
        "discount_percent",
        "failed_tasks_charged",
        "team_cap",
        "team_concurrency",
        "share_new_videos",
        "updated_by",
        "updated_at",
    )
    readonly_fields = ("updated_by", "updated_at")

    def has_add_permission(self, request):
        return not StudioSettings.objects.exists()

    def changelist_view(self, request, extra_context=None):
        """One row: its list would name "Studio settings" twice (the model and its only
        row), so the list opens the row itself."""
        StudioSettings.load()
        return redirect("admin:billing_studiosettings_change", 1)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("user", "monthly_cap", "concurrency")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only rows: the admin may look, never change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "person", "kind", "reason", "amount", "day", "generation_ref")
    list_filter = ("kind", "reason")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "action", "subject", "detail")
    list_filter = ("action",)
