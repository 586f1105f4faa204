"""Who sees a sequence, through generations/access.py's rule for projects: a sequence in a
project is seen (and edited) by whoever sees the project; a personal one by its maker
alone. Anything else answers 404, as a video does."""

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from generations.access import is_admin, may_change_project, visible_projects

from .models import Sequence


def visible_sequences(user):
    if not (user.is_authenticated and user.is_active):
        return Sequence.objects.none()
    seen = visible_projects(user).order_by().values("pk")
    return Sequence.objects.filter(
        Q(project__isnull=True, owner=user) | Q(project__isnull=False, project__in=seen)
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
