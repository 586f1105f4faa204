"""What a video's page reads, in as few and as narrow queries as the page allows.

Most of the page's cost was the ORM building queries and the templates rendering, not the
database answering: each query here asks only for what the page shows, and the parts of the
page that a later view would render the same come from cached fragments, keyed on what they
show (`{% fragment %}` in detail.html and templatetags/fragments.py); the lazy querysets
below run only when a fragment has to be rendered again.
"""

from django.db.models import Q
from django.http import HttpRequest, QueryDict

from . import gallery
from .access import own_generations, team_generations, visible_generations
from .forms import CommentForm
from .models import Comment, Generation
from .team_views import TeamFilter

# What a link to another job needs (its address, its first line, its date).
LINK_FIELDS = ("pk", "prompt", "created_at")


def video_page(request: HttpRequest, generation: Generation, list_query: str) -> dict:
    """The context of `generation`'s page, seen by `request.user`."""
    user = request.user
    previous = following = None
    if not generation.in_trash:
        previous, following = neighbours(request, generation, list_query)
    visible = visible_generations(user)
    comments = list(generation.comments.select_related("author"))
    return {
        "generation": generation,
        "history": generation.history.select_related("actor"),
        "previous": previous,
        "next": following,
        "list_query": list_query,
        "remakes": visible.filter(made_from=generation).in_gallery().only(*LINK_FIELDS)[:12],
        "made_from": visible.filter(pk=generation.made_from_id).only(*LINK_FIELDS).first()
        if generation.made_from_id
        else None,
        "takes": visible.filter(take_group=generation.take_group).count()
        if generation.take_group
        else 0,
        "starred": generation.is_starred_by(user),
        "comments": comments,
        "comments_version": Comment.version_of(comments),
        "comment_form": CommentForm(duration=generation.video_duration),
    }


def neighbours(request: HttpRequest, generation: Generation, list_query: str):
    """(previous, next) of `generation` within the list the person came from (`list_query`,
    a gallery query string): theirs when it is their video, else the team's."""
    user = request.user
    if generation.owner_id == user.pk:
        base, filters = own_generations(user).in_gallery(), gallery.GalleryFilter
    else:
        base, filters = team_generations(user).in_gallery(), TeamFilter
    if list_query:
        _, rows, sort = gallery.filtered(
            request, base, QueryDict(list_query), filterset_class=filters
        )
    else:
        # The whole list, newest first: no filter to build (the filterset alone cost more
        # than both queries).
        rows, sort = base.order_by(*gallery.SORTS["newest"]), "newest"
    # The plain range on created_at lets the database walk its index from the current row.
    at = generation.created_at
    newer = Q(created_at__gte=at) & (Q(created_at__gt=at) | Q(pk__gt=generation.pk))
    older = Q(created_at__lte=at) & (Q(created_at__lt=at) | Q(pk__lt=generation.pk))
    before, after = (newer, older) if sort == "newest" else (older, newer)
    backwards = [key[1:] if key.startswith("-") else f"-{key}" for key in gallery.SORTS[sort]]
    rows = rows.only("pk")
    return rows.filter(before).order_by(*backwards).first(), rows.filter(after).first()
