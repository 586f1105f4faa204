"""The studio's error pages, whichever app refuses: Django's handler404 and handler403, and
the 403 that every admin door answers (generations.access.admin_required)."""

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve

from .wording import person_name


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """A kind 404 that never says whether a video exists: a private video, an unshared one,
    a deleted one and a made-up address all read the same."""
    try:
        about_video = "pk" in resolve(request.path_info).kwargs
    except Resolver404:
        about_video = False
    # An htmx request comes from a page that was open on the video: it was unshared or
    # deleted meanwhile. The words differ, the answer for a made-up id is the same.
    open_page = bool(getattr(request, "htmx", False)) and about_video
    template = "404.html#gone" if open_page else "404.html"
    response = TemplateResponse(
        request, template, {"about_video": about_video, "open_page": open_page}, status=404
    )
    return response.render()


def forbidden(request: HttpRequest, exception=None, *, reviewer: bool = False) -> HttpResponse:
    """The styled 403 (also Django's handler403 for any other refusal); `reviewer` says
    what a reviewer may do instead of "for admins only"."""
    context = {"admins": admin_names(), "reviewer": reviewer}
    response = TemplateResponse(request, "403.html", context, status=403)
    return response.render()


def admin_names() -> str:
    """Whom a person should ask: the active admins' names, e.g. "ana, ben or cleo"."""
    names = [
        person_name(admin)
        for admin in get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .order_by("username")[:5]
    ]
    if len(names) <= 1:
        return names[0] if names else "your studio's admin"
    return ", ".join(names[:-1]) + " or " + names[-1]
