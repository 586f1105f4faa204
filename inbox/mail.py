"""The inbox's mail: mentions and decisions, at once or in a daily digest, as each person
chose (models.MailPreference). The Notification rows are the queue: a line not yet mailed
has no `emailed_at`; a run claims the lines it mails with a conditional update, so two
runs never mail a line twice, and gives them back if the mail server refuses.

Whether the person still sees the video is asked again at send time: a line about a video
made private, unshared, trashed, moved out of their reach, or a person deactivated since,
is dropped (marked handled) and never mailed.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from generations.models import Notification, NotificationKind
from generations.notifications import readable

from .models import MailChoice, MailPreference

log = logging.getLogger(__name__)

MAILED_KINDS = (NotificationKind.MENTION, NotificationKind.DECISION)
# The daily digest goes out at the first run from this hour on (the studio's TIME_ZONE).
DIGEST_HOUR = 8
# Lines older than this are not mailed any more (the inbox still holds them).
MAIL_WITHIN = timedelta(days=3)


def send_due(now: datetime | None = None) -> int:
    """Mail what is due now; the number of mails sent. Does nothing without EMAIL_HOST."""
    if not settings.EMAIL_HOST_CONFIGURED:
        return 0
    now = now or timezone.now()
    pending = Notification.objects.filter(
        kind__in=MAILED_KINDS, emailed_at__isnull=True, created_at__gte=now - MAIL_WITHIN
    )
    sent = 0
    for person_pk in pending.values_list("recipient_id", flat=True).distinct().order_by():
        sent += _send_to(person_pk, pending.filter(recipient_id=person_pk), now)
    return sent


def _send_to(person_pk: int, pending, now: datetime) -> int:
    person = get_user_model().objects.get(pk=person_pk)
    preference = MailPreference.objects.filter(person=person).first()
    choice = preference.choice if preference else MailChoice.INSTANT
    if choice == MailChoice.DAILY and not _digest_due(preference, now):
        return 0
    # Everything pending is handled by this run: what may not be mailed (mail off, no
    # address, deactivated, a video they no longer see, read already) is marked, not sent.
    ids = list(pending.values_list("pk", flat=True))
    still_seen = Q(pk__in=readable(person).values("pk")) if person.is_active else Q(pk__in=[])
    allowed = list(Notification.objects.filter(pk__in=ids, read_at__isnull=True).filter(still_seen))
    claimed = Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(
        emailed_at=now
    )
    if not claimed or choice == MailChoice.OFF or not person.email or not allowed:
        return 0
    allowed.sort(key=lambda line: (line.created_at, line.pk))
    subject, body = _compose(person, allowed, digest=choice == MailChoice.DAILY)
    try:
        send_mail(subject, body, None, [person.email])
    except OSError:  # smtplib's errors are OSErrors: the server is away or refused
        log.warning("inbox mail to %s failed; trying again on the next run", person.pk)
        Notification.objects.filter(pk__in=ids, emailed_at=now).update(emailed_at=None)
        return 0
    if choice == MailChoice.DAILY:
        MailPreference.objects.filter(person=person).update(digest_sent_at=now)
    return 1


def _digest_due(preference: MailPreference | None, now: datetime) -> bool:
    local = timezone.localtime(now)
    if local.hour < DIGEST_HOUR:
        return False
    today = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    return (
        preference is None
        or preference.digest_sent_at is None
        or (preference.digest_sent_at < today)
    )


def _compose(person, lines: list[Notification], *, digest: bool) -> tuple[str, str]:
    site = settings.STUDIO_URL.rstrip("/")
    name = person.get_full_name() or person.get_username()
    parts = [f"Hello {name},", ""]
    if digest:
        parts.append("Here is what happened in VeoStudio since yesterday's mail:")
        parts.append("")
    for line in lines:
        parts.append(line.text)
        parts.append(f"  {site}/inbox/{line.pk}/")
        parts.append("")
    parts.append(f"Your inbox, and how often you get this mail: {site}/inbox/")
    if digest or len(lines) > 1:
        noun = "thing" if len(lines) == 1 else "things"
        subject = f"VeoStudio: {len(lines)} {noun} for you"
    else:
        subject = "VeoStudio: " + lines[0].text
    subject = " ".join(subject.split())
    return subject[:150], "\n".join(parts)
