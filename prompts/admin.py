from django.contrib import admin

from .models import Preset, PresetUse, StyleBlock


@admin.register(Preset)
class PresetAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "scope", "project", "model", "size", "seconds", "updated_at"]
    list_filter = ["scope"]
    search_fields = ["name", "prompt"]


@admin.register(StyleBlock)
class StyleBlockAdmin(admin.ModelAdmin):
    list_display = ["name", "text", "created_by"]


@admin.register(PresetUse)
class PresetUseAdmin(admin.ModelAdmin):
    list_display = ["preset", "generation", "created_at"]
    raw_id_fields = ["generation"]
