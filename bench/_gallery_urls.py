"""The project's URLs plus two plain views for bench/gallery.py only."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from generations.access import visible_generations

_HELLO = engines["django"].from_string("<!doctype html><p>Hello {{ request.user }}</p>")
_LISTING = engines["django"].from_string(
    '{% extends "base.html" %}{% block content %}<ul class="gallery">'
    "{% for generation in page.object_list %}"
    '{% include "generations/_card.html" %}{% endfor %}</ul>{% endblock %}'
)


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_HELLO.render({}, request))


def listing(request: HttpRequest) -> HttpResponse:
    """The plain Django way to show the same 24 cards: a paginated queryset, no search,
    no filters, no counts, no stars."""
    # The cards show a maker and a comment count: the plain way is a join and an annotation.
    rows = (
        visible_generations(request.user).in_gallery().with_comment_counts().select_related("owner")
    )
    page = Paginator(rows, 24).get_page(request.GET.get("page"))
    return HttpResponse(_LISTING.render({"page": page}, request))


urlpatterns = [
    path("bench-hello/", hello),
    path("bench-listing/", listing),
    path("", include("veostudio.urls")),
]
