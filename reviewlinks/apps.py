from django.apps import AppConfig


class ReviewLinksConfig(AppConfig):
    """Review links: a client watches, comments on and approves videos without an account."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reviewlinks"
    verbose_name = "Review links for clients"
