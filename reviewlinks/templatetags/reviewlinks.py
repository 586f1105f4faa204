"""The review links' pieces on the studio's pages: the panel on a video's page (drawn apart
from the page's kept HTML, so a new or revoked link shows at once) and the project's
button."""

from django import template
from django.db.models import Q
from django.template.loader import render_to_string

from generations.access import changeable_generations, may_change_project

from ..models import ReviewLink

register = template.Library()


@register.simple_tag(takes_context=True)
def review_links_panel(context) -> str:
    """The owner's panel on the page of the video the URL names: its live links, each with
    Revoke, and Make a review link. Nothing for anyone else, or for a video not finished."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    pk = match.kwargs.get("pk") if match else None
    if request is None or pk is None:
        return ""
    video = (
        changeable_generations(request.user)
        .filter(pk=pk, trashed_at__isnull=True)
        .only("pk", "status", "video", "project_id", "stack_id")
        .first()
    )
    if video is None or not video.is_ready:
        return ""
    in_link = Q(videos=video)
    # linksplus: a stack's link shows this video when it holds any version of its stack.
    in_link |= Q(whole_stack=True, videos__in=video.versions().values("pk"))
    if video.project_id is not None:
        in_link |= Q(project_id=video.project_id)
    links = ReviewLink.objects.made_by(request.user).live().filter(in_link).distinct()
    return render_to_string(
        "reviewlinks/_video_links.html",
        {"video": video, "links": list(links), "here": request.get_full_path()},
        request,
    )


@register.filter
def may_link_project(project, user) -> bool:
    return may_change_project(user, project)
