"""A video's review status (one click, by those allowed) and its title (renamed in place
by its owner). Both answer htmx with their part of the page, and a plain form post with a
redirect back, so they work without JavaScript."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from ..access import get_for_changing, get_for_deciding
from ..models import NotificationKind, ReviewStatus
from ..notifications import notify
from .common import HtmxHttpRequest, back_or


@require_POST
def decide(request: HtmxHttpRequest, pk) -> HttpResponse:
    generation = get_for_deciding(request, pk)
    wanted = request.POST.get("review_status", "")
    if wanted not in ReviewStatus.values:
        if request.htmx:
            return render(request, "generations/_review.html", {"generation": generation})
        messages.error(request, "Pick one of Draft, In review, Changes requested or Approved.")
        return back_or(request, generation.get_absolute_url())
    changed = generation.decide_for(request.user, wanted)
    label = ReviewStatus(wanted).label
    if changed and generation.owner_id != request.user.pk:
        who = request.user.get_username()
        notify(
            [generation.owner_id],
            NotificationKind.DECISION,
            f"{who} set “{generation.display_title}” to {label}.",
            generation=generation,
            actor=request.user,
        )
    # Asking for review of a video only its maker sees would wait for nobody: say so.
    unseen = wanted == ReviewStatus.IN_REVIEW and not generation.project_id
    unseen = unseen and not generation.is_shared
    if request.htmx:
        context = {"generation": generation, "decided": changed, "unseen": unseen}
        if changed:
            context["decided_event"] = generation.history.select_related("actor").last()
        return render(request, "generations/_review.html", context)
    if changed:
        messages.success(request, f"Review status: {label}.")
    if unseen:
        messages.info(request, UNSEEN)
    return back_or(request, generation.get_absolute_url())


UNSEEN = (
    "Only you can see this video: share it with the team or put it in a project, so that a"
    " reviewer can see it."
)


@require_POST
def rename(request: HtmxHttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    title = request.POST.get("title", "")
    error = ""
    if len(" ".join(title.split())) > 120:
        error = "A title has at most 120 characters; yours was kept here to shorten."
    else:
        generation.rename_for(request.user, title)
    if request.htmx:
        context = {"generation": generation, "rename_error": error}
        context["typed_title"] = title if error else ""  # shown back in the field, not saved
        context["starred"] = generation.is_starred_by(request.user)
        return render(request, "generations/_title.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Renamed “{generation.display_title}”.")
    return back_or(request, generation.get_absolute_url())
