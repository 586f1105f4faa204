"""Two to four ready videos side by side."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .. import gallery
from ..access import visible_generations
from .common import ids_in

COMPARE_MAX = 4


def compare(request: HttpRequest) -> HttpResponse:
    ids = ids_in(request.GET)[:COMPARE_MAX]
    chosen = gallery.with_stars(visible_generations(request.user), request.user).filter(pk__in=ids)
    videos = sorted((g for g in chosen if g.is_ready), key=lambda g: ids.index(g.pk))
    if len(videos) < 2:
        messages.info(request, "Pick 2 to 4 ready videos to compare them side by side.")
        return redirect("generations:index")
    # Versions of one stack side by side say which is which (v1, v2).
    roots = [g.stack_root_id for g in videos]
    stacked = {root for root in roots if roots.count(root) > 1}
    context = {"videos": videos, "ids": ids, "stacked": stacked}
    return render(request, "generations/compare.html", context)
