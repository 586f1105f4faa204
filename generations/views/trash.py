"""The Trash: what is in it, restoring a video and deleting one for good."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.views.decorators.http import require_POST

from .. import gallery
from ..access import changeable_generations, get_for_changing
from .common import back_or


def _day(when, *, with_time: bool = False) -> str:
    """`when|date:"j M Y"` (", H:i" added), in a fraction of the filter's time: the date
    filter took 3.7 ms for a page's 24 rows."""
    local = timezone.localtime(when)
    text = f"{local.day} {MONTHS_3[local.month].title()} {local.year}"
    return f"{text}, {local:%H:%M}" if with_time else text


def trash(request: HttpRequest) -> HttpResponse:
    rows = changeable_generations(request.user).in_trash().order_by("-trashed_at")
    page = Paginator(rows, gallery.PAGE_SIZE).get_page(request.GET.get("page"))
    for generation in page.object_list:
        generation.deleted_on = _day(generation.trashed_at, with_time=True)
        generation.purged_on = _day(generation.purge_due_at())
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
