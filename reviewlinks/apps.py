from django.apps import AppConfig


class ReviewLinksConfig(AppConfig):
    """Review links: a client watches, comments on and approves videos without an account."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "reviewlinks"
    verbose_name = "Review links for clients"

    def ready(self) -> None:
        # A video's page asks with its facts whether its panel has a link to list.
        from generations import video_page

        from .templatetags.reviewlinks import links_until_of_outer_job

        video_page.review_links_until = links_until_of_outer_job
