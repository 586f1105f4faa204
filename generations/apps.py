from django.apps import AppConfig
from django.contrib import messages
from django.contrib.auth.signals import user_logged_out

from .wording import LOGGED_OUT


class GenerationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "generations"
    verbose_name = "Video generations"

    def ready(self) -> None:
        # The queue's policy listens for freed slots (models.slot_freed) from the start.
        from . import notifications, slots  # noqa: F401  (the signals' listeners)

        user_logged_out.connect(_say_logged_out, dispatch_uid="veostudio-logged-out")


def _say_logged_out(sender, request, user, **kwargs) -> None:
    # LOGOUT_REDIRECT_URL is the login page; without this it looks as if nothing happened.
    if request is not None:
        messages.info(request, LOGGED_OUT, fail_silently=True)
