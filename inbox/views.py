"""The inbox page, the bell's own light poll, opening a line, and the mail choice."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from generations.notifications import mark_all_read, readable

from .forms import MailChoiceForm
from .models import MailChoice, MailPreference

# The inbox lists this many of the newest lines: older ones are rarely looked for.
SHOWN = 100


def inbox(request: HttpRequest) -> HttpResponse:
    lines = list(
        readable(request.user).select_related("actor").order_by("-created_at", "-pk")[:SHOWN]
    )
    choice = MailPreference.choice_of(request.user)
    return render(
        request,
        "inbox/inbox.html",
        {
            "lines": lines,
            "unread": sum(line.read_at is None for line in lines),
            "mail_form": MailChoiceForm(initial={"choice": choice}),
            "mail_configured": settings.EMAIL_HOST_CONFIGURED,
            "has_address": bool(getattr(request.user, "email", "")),
        },
    )


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
