"""Who may see a generation and who may change it: the only doors to a job.

No view checks access by itself; each one asks here, and anything a person may not see
answers 404, so that nothing about other people's videos is revealed. The studio is one
team: every signed-in person may watch what a teammate shared, and only its owner may
change it (share, unshare, retry, delete).
"""

from collections.abc import Callable
from functools import wraps

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from .errors import forbidden
from .models import Comment, Generation


def visible_generations(user):
    """Every generation `user` may watch: their own, and every one shared with the team
    (unless its owner moved it to the Trash: to the team, a trashed video is gone)."""
    if not (user.is_authenticated and user.is_active):
        return Generation.objects.none()
    return Generation.objects.filter(visible_to(user.pk))


def visible_to(user_pk) -> Q:
    """The rule of `visible_generations` for an active person's id (check that first)."""
    return Q(owner_id=user_pk) | Q(shared_at__isnull=False, trashed_at__isnull=True)


# The same rule as `visible_generations`, on values already read (tests/test_access.py
# holds the two together). For a list of ids the OR above lets SQLite walk every row out of
# the Trash instead of seeking the ids; the page's poll reads the ids, then asks this.
WATCH_FIELDS = ("owner_id", "shared_at", "trashed_at")


def may_watch(user, owner_id, shared_at, trashed_at) -> bool:
    return watcher(user)(owner_id, shared_at is not None and trashed_at is None)


def watcher(user) -> Callable[[int, bool], bool]:
    """The same rule as a function of (owner id, seen by the team: shared and not in the
    Trash), with the person read once for every row of a poll."""
    if not (user.is_authenticated and user.is_active):
        return lambda owner_id, seen_by_team: False
    viewer = user.pk
    return lambda owner_id, seen_by_team: owner_id == viewer or seen_by_team


def changeable_generations(user):
    """Every generation `user` may change (delete, retry, share…): only their own."""
    if not (user.is_authenticated and user.is_active):
        return Generation.objects.none()
    return Generation.objects.filter(owner=user)


def own_generations(user):
    """What "Your videos" lists."""
    return changeable_generations(user)


def team_generations(user):
    """What the Team view lists: everything shared with the team, the user's own included.
    (A subset of `visible_generations`, spelt without its OR so that an index serves it.)"""
    if not (user.is_authenticated and user.is_active):
        return Generation.objects.none()
    return Generation.objects.filter(shared_at__isnull=False, trashed_at__isnull=True)


def get_for_viewing(request: HttpRequest, pk) -> Generation:
    return get_object_or_404(visible_generations(request.user), pk=pk)


def get_for_changing(request: HttpRequest, pk) -> Generation:
    return get_object_or_404(changeable_generations(request.user), pk=pk)


def get_comment_for_changing(request: HttpRequest, pk, comment_pk) -> Comment:
    """A comment its author may edit or delete, on a video the author may still see:
    unsharing a video closes its comments to the team at once, the author's own too."""
    return get_object_or_404(
        Comment.objects.select_related("generation"),
        pk=comment_pk,
        generation__in=visible_generations(request.user),
        generation_id=pk,
        author=request.user,
    )


def is_admin(user) -> bool:
    """A studio admin: staff, and still active. The one test every admin door and every
    admin-only part of a page asks."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "is_staff", False)
    )


def admin_required(view):
    """The door to every admin page: anyone else gets the studio's 403 page in a plain
    sentence. Answered here rather than raised, so a member's click is not logged as an
    error with a traceback."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_admin(request.user):
            return forbidden(request)
        return view(request, *args, **kwargs)

    return wrapper
