"""Who may see a generation and who may change it: the only two doors to a job.

No view checks access by itself; each one asks here, and anything a person may not see
answers 404, so that nothing about other people's videos is revealed.
"""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from .models import Generation


def visible_generations(user):
    """Every generation `user` may watch: for now, their own."""
    return Generation.objects.filter(owner=user)


def changeable_generations(user):
    """Every generation `user` may change (delete, retry, share…): only their own."""
    return Generation.objects.filter(owner=user)


def get_for_viewing(request: HttpRequest, pk) -> Generation:
    return get_object_or_404(visible_generations(request.user), pk=pk)


def get_for_changing(request: HttpRequest, pk) -> Generation:
    return get_object_or_404(changeable_generations(request.user), pk=pk)
