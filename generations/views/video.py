"""A video's page, its status part, the page of its takes, and what its buttons do."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling

from billing.ledger import CapExceeded, TooFast

from .. import gallery
from ..access import get_for_changing, get_for_viewing, visible_generations
from ..video_page import kept_video_page
from .common import HtmxHttpRequest, back_or, tell_trashed


def detail(request: HttpRequest, pk) -> HttpResponse:
    return render(request, "generations/detail.html", kept_video_page(request, pk))


def status(request: HtmxHttpRequest, pk) -> HttpResponse:
    generation = get_for_viewing(request, pk)
    if not request.htmx:
        return detail(request, pk)
    template = "_card.html" if request.GET.get("view") == "card" else "detail.html#status"
    if template == "_card.html":
        generation.is_starred = generation.is_starred_by(request.user)  # type: ignore[attr-defined]
    response = render(request, f"generations/{template}", {"generation": generation})
    if not generation.is_active:
        # The fragment carries no trigger any more; 286 also stops the old element.
        response.status_code = HttpResponseStopPolling.status_code
    return response


def takes(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_viewing(request, pk)
    group = [generation]
    if generation.take_group:
        group = list(
            gallery.as_cards(visible_generations(request.user), request.user)
            .filter(take_group=generation.take_group)
            .order_by("take_number")
        )
    return render(request, "generations/takes.html", {"generation": generation, "group": group})


@require_POST
def star(request: HtmxHttpRequest, pk) -> HttpResponse:
    generation = get_for_viewing(request, pk)
    starred = request.POST.get("starred") == "1"
    generation.set_star_for(request.user, starred)
    if request.htmx:
        return render(
            request,
            "generations/_star.html",
            {"generation": generation, "starred": starred},
        )
    return back_or(request, generation.get_absolute_url())


@require_POST
def cancel(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if generation.cancel_for(request.user):
        messages.success(request, "Cancelled. It was never sent, so nothing was charged.")
    else:
        messages.info(request, "This video is already being sent; you can stop waiting for it.")
    return redirect(generation)


@require_POST
def stop(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if generation.stop_for(request.user):
        messages.warning(
            request,
            "Stopped waiting. CometAPI may still make this video and charge for it, so its "
            "cost stays reserved until an admin confirms whether it was charged.",
        )
    else:
        messages.info(request, "This video is not running any more.")
    return redirect(generation)


@require_POST
def check_again(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    try:
        if not generation.check_again_for(request.user):
            messages.info(request, "This video is not waiting for a check.")
    except (CapExceeded, TooFast) as refusal:
        messages.error(request, refusal.message)
    return redirect(generation)


@require_POST
def submit_again(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    try:
        if generation.submit_again_for(request.user):
            messages.info(request, "Sent again. This starts a new paid job at CometAPI.")
    except (CapExceeded, TooFast) as refusal:
        messages.error(request, refusal.message)
    return redirect(generation)


@require_POST
def delete(request: HttpRequest, pk) -> HttpResponse:
    """Delete moves to the Trash at once; the message carries "Undo"."""
    generation = get_for_changing(request, pk)
    if not generation.trash_for(request.user):
        if generation.in_trash:
            return redirect("generations:trash")
        messages.error(request, "This video is still being made; you can delete it when it ends.")
        return redirect(generation)
    tell_trashed(request, [generation.pk])
    return back_or(request, reverse("generations:index"))
