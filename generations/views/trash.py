"""The Trash: what is in it, restoring a video and deleting one for good."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .. import gallery
from ..access import changeable_generations, get_for_changing
from .common import back_or


def trash(request: HttpRequest) -> HttpResponse:
    rows = changeable_generations(request.user).in_trash().order_by("-trashed_at")
    page = Paginator(rows, gallery.PAGE_SIZE).get_page(request.GET.get("page"))
    keep_days = settings.TRASH_KEEP_DAYS
    return render(request, "generations/trash.html", {"page": page, "keep_days": keep_days})


@require_POST
def restore(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if generation.restore_for(request.user):
        messages.success(request, "Restored to the gallery.")
    return back_or(request, generation.get_absolute_url())


def delete_forever(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if not generation.in_trash:
        messages.info(request, "Move the video to the Trash first.")
        return redirect(generation)
    if request.method == "POST":
        if generation.delete_for(request.user):
            messages.success(request, "Deleted for good, with its files.")
        return redirect("generations:trash")
    return render(request, "generations/delete_forever.html", {"generation": generation})
