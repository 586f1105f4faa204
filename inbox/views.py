"""The inbox page, the bell's own light poll, opening a line, and the mail choice."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.views.decorators.http import require_POST

from generations.links import numbered_url
from generations.models import NotificationKind
from generations.notifications import (
    InboxLine,
    inbox_lines,
    mark_all_read,
    readable,
)

from .forms import MailChoiceForm
from .models import MailChoice, MailPreference

KIND_LABELS = dict(NotificationKind.choices)


def inbox(request: HttpRequest) -> HttpResponse:
    lines = inbox_lines(request.user)
    choice = MailPreference.choice_of(request.user)
    return render(
        request,
        "inbox/inbox.html",
        {
            "lines": _as_shown(lines),
            "unread": sum(line.read_at is None for line in lines),
            "mail_choices": [
                {"value": value, "label": label, "checked": value == choice}
                for value, label in MailChoice.choices
            ],
            "mail_label": MailChoiceForm.base_fields["choice"].label,
            "mail_configured": settings.EMAIL_HOST_CONFIGURED,
            "has_address": bool(getattr(request.user, "email", "")),
        },
    )


def _as_shown(lines: list[InboxLine]) -> list[dict]:
    """The lines' words as the page prints them: what `{% url %}`, `get_kind_display` and
    `|date:"c"` / `|date:"j M, H:i"` print, at a tenth of their cost (a page holds up to a
    hundred lines; the date filter alone took a millisecond for fifty)."""
    zone = timezone.get_current_timezone()
    months: dict[int, str] = {}
    shown = []
    for line in lines:
        when = line.created_at.astimezone(zone)
        if when.month not in months:
            months[when.month] = MONTHS_3[when.month].title()  # the date filter's "M"
        shown.append(
            {
                "pk": str(line.pk),  # not localized as a number
                "kind": line.kind,
                "label": KIND_LABELS.get(line.kind, line.kind),
                "text": line.text,
                "unread": line.read_at is None,
                "url": numbered_url("inbox:open", line.pk),
                "iso": when.isoformat(),
                "when": f"{when.day} {months[when.month]}, {when:%H:%M}",
            }
        )
    return shown


def open_notification(request: HttpRequest, notification_pk: int) -> HttpResponse:
    """Mark the line read and go to its moment. A line about a video the person no longer
    sees is not theirs to open any more (404, like the video itself)."""
    line = get_object_or_404(readable(request.user), pk=notification_pk)
    if line.read_at is None:
        line.read_at = timezone.now()
        line.save(update_fields=["read_at"])
    url = line.url or (line.project.get_absolute_url() if line.project else "")
    if not url.startswith("/") or url.startswith("//"):
        return redirect("inbox:inbox")  # nothing to open but the line itself
    return redirect(url)


@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    marked = mark_all_read(request.user)
    if marked:
        messages.success(request, "Everything in your inbox is marked read.")
    return redirect("inbox:inbox")


@require_POST
def mail_choice(request: HttpRequest) -> HttpResponse:
    form = MailChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please pick one of the three mail choices.")
        return redirect("inbox:inbox")
    MailPreference.objects.update_or_create(
        person_id=request.user.pk, defaults={"choice": form.cleaned_data["choice"]}
    )
    said = {
        MailChoice.INSTANT: "You will get a mail for each mention and decision.",
        MailChoice.DAILY: "You will get one mail a day with your mentions and decisions.",
        MailChoice.OFF: "No more mail: mentions and decisions stay in your inbox.",
    }
    messages.success(request, said[MailChoice(form.cleaned_data["choice"])])
    return redirect("inbox:inbox")
