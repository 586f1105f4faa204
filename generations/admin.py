from django.contrib import admin

from .models import Generation, WorkerHeartbeat


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "owner",
        "short_prompt",
        "model",
        "seconds",
        "size",
        "status",
        "error_code",
    ]
    list_filter = ["status", "model", "size", "error_code"]
    search_fields = ["prompt", "task_id", "owner__username"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "owner",
        "client_token",
        "task_id",
        "status",
        "progress",
        "failure_reason",
        "error_code",
        "created_at",
        "submitted_at",
        "completed_at",
        "saved_at",
        "updated_at",
        "video",
        "video_bytes",
        "video_duration",
        "video_width",
        "video_height",
        "poster",
        "first_frame",
        "first_frame_thumbnail",
        "next_action_at",
        "attempts",
        "polls",
        "deadline",
        "submit_started_at",
    ]
    exclude = ["video_url", "lease"]

    @admin.display(description="prompt")
    def short_prompt(self, obj):
        return obj.prompt[:60]

    def has_add_permission(self, request):
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "seen_at"]
