from django.contrib import admin

from .models import MailPreference


@admin.register(MailPreference)
class MailPreferenceAdmin(admin.ModelAdmin):
    list_display = ("person", "choice", "digest_sent_at")
