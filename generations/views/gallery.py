"""The gallery (the home page) and the one form for what a selection of its cards can do."""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from .. import gallery
from ..access import (
    changeable_generations,
    members_only,
    own_generations,
    visible_generations,
)
from ..forms import usable_project_choices
from ..links import page_url
from .common import HtmxHttpRequest, back_or, ids_in, tell_trashed
from .projects import move_many


def index(request: HtmxHttpRequest) -> HttpResponse:
    def base() -> QuerySet:
        # Built only when asked: a page whose ids come from a prepared query needs none.
        return own_generations(request.user).in_gallery()

    if request.GET.get("counts"):
        # Asked by the page once shown: the filters' counts and the number of videos. The
        # projects of the project filter come in the version's round trip.
        version, _ = gallery.own_gallery_state(request)
        counts = gallery.gallery_counts(request, base(), version)
        return render(
            request,
            "generations/_filters.html#counts",
            {"counts": counts, "facets": counts.facets, "f": counts.filterset.form},
        )
    if request.htmx and request.GET.get("page"):
        # "Load more": the next cards and the next link
        page = gallery.gallery_page(request, base, prepared=gallery.OWN_PAGES)
        context = {"gallery": page, "page": page.page}
        return render(request, "generations/_gallery_cards.html#more", context)
    action = page_url("generations:index")
    # The count of approved videos above the cards comes with the version, and the
    # projects with both (one round trip).
    version, approved = gallery.own_gallery_state(request)
    sections = gallery.gallery_sections(request, base, version, action, prepared=gallery.OWN_PAGES)
    context = {
        "sections": sections,
        "move_choices": usable_project_choices(request.user, request),
        "approved_count": approved,
        "only_approved": request.GET.get("review") == "approved",
    }
    return render(request, "generations/index.html", context)


def selection(request: HttpRequest) -> HttpResponse:
    """One form for what a selection of cards can do: favourite, move into a project (or
    out), move to the Trash, restore."""
    if request.method != "POST":
        return redirect("generations:index")
    action = request.POST.get("action")
    ids = ids_in(request.POST)
    if action not in ("star", "unstar"):
        return _change_selection(request, action, ids)
    starring = visible_generations(request.user).filter(pk__in=ids)
    done = starring.star_for(request.user, action == "star")
    messages.success(request, f"{'Starred' if action == 'star' else 'Unstarred'} {done}.")
    return back_or(request, reverse("generations:index"))


@members_only
def _change_selection(request: HttpRequest, action, ids) -> HttpResponse:
    """Trash, restore or move a selection: the person's own videos, never a reviewer's."""
    if action == "trash":
        trashed, running = (
            changeable_generations(request.user).filter(pk__in=ids).trash_for(request.user)
        )
        if trashed:
            tell_trashed(request, trashed, running)
        elif running:
            messages.error(request, "Videos still being made cannot be moved to the Trash.")
    elif action == "move":
        return move_many(request)
    elif action == "restore":
        done = changeable_generations(request.user).filter(pk__in=ids).restore_for(request.user)
        messages.success(request, f"Restored {done} video{'s' if done != 1 else ''}.")
    return back_or(request, reverse("generations:index"))
