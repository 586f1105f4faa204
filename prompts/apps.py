from django.apps import AppConfig


class PromptsConfig(AppConfig):
    name = "prompts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from generations.signals import videos_created

        from .models import record_preset_use

        videos_created.connect(record_preset_use, dispatch_uid="prompts.record_preset_use")
