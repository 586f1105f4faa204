from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import Comment, Generation, GenerationEvent, Project, WorkerHeartbeat

EVENT_COLUMNS = ("created_at", "kind", "from_status", "to_status", "actor", "reason", "code")


class GenerationEventInline(admin.TabularInline):
    model = GenerationEvent
    fk_name = "generation"
    fields = EVENT_COLUMNS
    readonly_fields = EVENT_COLUMNS
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


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
    # Storage names are internal and media has no public URL: link the login-checked views.
    exclude = ["video_url", "lease", "video", "poster", "first_frame", "first_frame_thumbnail"]
    file_links = ["video_link", "poster_link", "first_frame_link"]
    inlines = [GenerationEventInline]

    @admin.display(description="prompt")
    def short_prompt(self, obj):
        return obj.prompt[:60]

    def get_readonly_fields(self, request, obj=None):
        # A job changes only through its own methods (each leaves an event), never by hand.
        fields = [f.name for f in Generation._meta.fields if f.name not in self.exclude]
        return [*fields, *self.file_links]

    @admin.display(description="video")
    def video_link(self, obj):
        return _file_link(obj, "video", "generations:video", "Play the video")

    @admin.display(description="poster")
    def poster_link(self, obj):
        return _file_link(obj, "poster", "generations:poster", "Show the poster")

    @admin.display(description="first frame")
    def first_frame_link(self, obj):
        return _file_link(obj, "first_frame_thumbnail", "generations:first_frame", "Show it")

    def has_add_permission(self, request):
        return False


def _file_link(obj, field: str, url_name: str, label: str):
    if not getattr(obj, field):
        return "—"
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[obj.pk]), label)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "seen_at"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["created_at", "author", "generation", "at_seconds", "short_body"]
    search_fields = ["body", "author__username"]
    raw_id_fields = ["generation", "author"]
    date_hierarchy = "created_at"

    @admin.display(description="comment")
    def short_body(self, obj):
        return obj.body[:60]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    # The studio's own pages (Projects → Edit project) are the way to change one; this is
    # for looking things up.
    list_display = ["name", "colour", "limited", "created_by", "created_at", "archived_at"]
    list_filter = ["limited", "archived_at"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
