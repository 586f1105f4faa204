from django.apps import AppConfig


class GenerationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "generations"
    verbose_name = "Video generations"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        user_logged_out.connect(_say_logged_out, dispatch_uid="veostudio-logged-out")


def _say_logged_out(sender, request, user, **kwargs) -> None:
    # LOGOUT_REDIRECT_URL is the login page; without this it looks as if nothing happened.
    from django.contrib import messages

    from .wording import LOGGED_OUT

    if request is not None:
        messages.info(request, LOGGED_OUT, fail_silently=True)
