"""How each person wants the inbox's mail (mentions and decisions): at once, in a daily
digest, or not at all. The inbox's lines themselves are generations.models.Notification."""

from django.conf import settings
from django.db import models

from lib.prepared import Prepared


class MailChoice(models.TextChoices):
    INSTANT = "instant", "At once, one mail each time"
    DAILY = "daily", "A daily digest"
    OFF = "off", "No mail (the inbox only)"


class MailPreference(models.Model):
    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_mail"
    )
    choice = models.CharField(max_length=8, choices=MailChoice, default=MailChoice.INSTANT)
    # When the last daily digest went out: the next is due a day later.
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.person}: {self.choice}"

    @classmethod
    def choice_of(cls, person) -> str:
        found = CHOICE_OF.rows(person.pk)
        return found[0][0] if found else MailChoice.INSTANT


# The inbox page asks on every load: the query is built once per process (prepared.py).
CHOICE_OF = Prepared(
    lambda pk: MailPreference.objects.filter(person_id=pk).values_list("choice"),
    MailPreference._meta.get_field("person").target_field,
)
