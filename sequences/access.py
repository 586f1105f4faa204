"""Who sees a sequence, through generations/access.py's rule for projects: a sequence in a
project is seen (and edited) by whoever sees the project; a personal one by its maker
alone. Anything else answers 404, as a video does."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from generations.access import is_admin, may_change_project, projects_seen_by
from lib.prepared import Prepared

from .models import Sequence


def visible_sequences(user):
    if not (user.is_authenticated and user.is_active):
        return Sequence.objects.none()
    return Sequence.objects.filter(_seen_by(user.pk))


def _seen_by(user_pk) -> Q:
    """The rule of `visible_sequences` for an active person's id (check that first)."""
    seen = projects_seen_by(user_pk).order_by().values("pk")
    return Q(project__isnull=True, owner_id=user_pk) | Q(project__isnull=False, project__in=seen)


def listed_sequences(user) -> list[tuple]:
    """What the Sequences page lists of `visible_sequences`, newest change first: (id,
    title, format, changed at, owner's id, owner's name, project's name or None), from a
    query built once per process (tests/test_prepared.py holds it to the rule)."""
    if not (user.is_authenticated and user.is_active):
        return []
    return SEQUENCE_LIST.rows(user.pk)


SEQUENCE_LIST = Prepared(
    lambda pk: (
        Sequence.objects.filter(_seen_by(pk))
        .order_by("-updated_at", "-pk")
        .values_list(
            "pk",
            "title",
            "size",
            "updated_at",
            "owner_id",
            f"owner__{get_user_model().USERNAME_FIELD}",
            "project__name",
        )
    ),
    get_user_model()._meta.pk,
)


def get_sequence(request: HttpRequest, pk) -> Sequence:
    """The sequence, for seeing and editing its shots (the same people), else 404."""
    return get_object_or_404(visible_sequences(request.user).select_related("project"), pk=pk)


def may_delete(user, sequence: Sequence) -> bool:
    """Its maker, an admin, or whoever may change its project."""
    if sequence.owner_id == user.pk or is_admin(user):
        return True
    return sequence.project is not None and may_change_project(user, sequence.project)


def get_sequence_for_deleting(request: HttpRequest, pk) -> Sequence:
    sequence = get_sequence(request, pk)
    if not may_delete(request.user, sequence):
        raise Http404("No sequence here")
    return sequence
