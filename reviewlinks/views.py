"""The studio's side of review links: make one (for a video, a selection or a project), see
it once with a Copy button, list the live ones with their views, revoke one at once."""

import time
import uuid

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from billing.models import AuditEntry
from generations.access import (
    changeable_generations,
    get_project_for_changing,
    is_admin,
    members_only,
)
from generations.models import Comment, Generation, Project, Status
from lib.prepared import PreparedModels

from .forms import ReviewLinkForm
from .models import ReviewLink

# The new link's address stays on its page (through a reload) this long in the session
# that made it; then only its hash is left anywhere.
SHOW_NEW_SECONDS = 3600
NEW_KEY = "review_links_new"


def _ids(data) -> list[uuid.UUID]:
    found = []
    for value in data.getlist("ids")[:200]:
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            continue
    return found


def _shareable(request: HttpRequest, ids) -> list[Generation]:
    """The person's own finished videos among `ids`, out of the Trash."""
    return list(
        changeable_generations(request.user)
        .filter(pk__in=ids, status=Status.READY, trashed_at__isnull=True)
        .exclude(video="")
        .order_by("-created_at", "-pk")
    )


@members_only
def new(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    project: Project | None = None
    videos: list[Generation] = []
    stack: list[Generation] = []
    if data.get("project"):
        try:
            project = get_project_for_changing(request, int(data["project"]))
        except ValueError:
            raise Http404("No project here") from None
        default_name = f"Review: {project.name}"
    else:
        videos = _shareable(request, _ids(data))
        if not videos:
            messages.info(request, "Pick at least one of your finished videos to share by link.")
            return redirect("generations:index")
        first = videos[0].display_title
        default_name = f"Review: {first}" if len(videos) == 1 else f"Review: {len(videos)} videos"
        if len(videos) == 1:
            # A video with versions: this one, or the whole stack (newest first).
            stack = _shareable(request, videos[0].versions().values("pk"))
            if len(stack) < 2:
                stack = []
    form = ReviewLinkForm(
        request.POST if request.method == "POST" else None, initial={"name": default_name[:120]}
    )
    if not stack:
        del form.fields["scope"]
    if request.method == "POST" and form.is_valid():
        whole_stack = bool(stack) and form.cleaned_data.get("scope") == "stack"
        link, token = ReviewLink.create_for(
            request.user,
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
            password=form.cleaned_data["password"],
            allow_download=form.cleaned_data["allow_download"],
            allow_feedback=form.cleaned_data["allow_feedback"],
            videos=stack if whole_stack else videos,
            project=project,
            whole_stack=whole_stack,
        )
        shown = dict(request.session.get(NEW_KEY, {}))
        shown[str(link.pk)] = [request.build_absolute_uri(link.guest_url(token)), time.time()]
        request.session[NEW_KEY] = shown
        return redirect("reviewlinks:detail", link_pk=link.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "videos": videos, "project": project, "stack": stack}
    return render(request, "reviewlinks/new.html", context, status=status)


def _link_for(request: HttpRequest, link_pk) -> ReviewLink:
    return get_object_or_404(
        ReviewLink.objects.made_by(request.user).select_related("created_by", "project"), pk=link_pk
    )


def detail(request: HttpRequest, link_pk) -> HttpResponse:
    link = _link_for(request, link_pk)
    shown = dict(request.session.get(NEW_KEY, {}))
    now = time.time()
    fresh = {key: value for key, value in shown.items() if now - value[1] < SHOW_NEW_SECONDS}
    if fresh != shown:
        request.session[NEW_KEY] = fresh
    address = fresh.get(str(link.pk), [""])[0]
    context = {
        "link": link,
        "address": address,
        "videos": list(link.videos_served()) if link.is_live else [],
    }
    return render(request, "reviewlinks/detail.html", context)


def _listed(links, now):
    return (
        links.live(now).select_related("created_by", "project").annotate(n_videos=Count("videos"))
    )


_PERSON = ReviewLink._meta.get_field("created_by").target_field
_NOW = ReviewLink._meta.get_field("expires_at")

# The Links page's list, its SQL built once per process (lib/prepared.py): by whom
# the links were made, as ReviewLink.objects.made_by (an admin sees everyone's).
LISTED = {
    False: PreparedModels(
        lambda person, now: _listed(ReviewLink.objects.filter(created_by=person), now),
        _PERSON,
        _NOW,
    ),
    True: PreparedModels(lambda now: _listed(ReviewLink.objects.all(), now), _NOW),
}


def listed_links(person, now=None) -> list[ReviewLink]:
    """ReviewLink.objects.made_by(person).live(now), each with its maker, project and
    `n_videos`: the Links page's rows."""
    now = now or timezone.now()
    if is_admin(person):
        return LISTED[True].objects(now)
    return LISTED[False].objects(person.pk, now)


def index(request: HttpRequest) -> HttpResponse:
    context = {"links": listed_links(request.user), "sees_all": is_admin(request.user)}
    return render(request, "reviewlinks/index.html", context)


@require_POST
def revoke(request: HttpRequest, link_pk) -> HttpResponse:
    link = _link_for(request, link_pk)
    if link.revoke_for(request.user):
        messages.success(request, f"Revoked “{link.name}”: it no longer opens anything.")
    following = request.POST.get("next", "")
    if following and url_has_allowed_host_and_scheme(
        following, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(following)
    return redirect("reviewlinks:index")


@require_POST
def delete_guest_comment(request: HttpRequest, comment_pk) -> HttpResponse:
    """The video's maker removes a guest's comment (a guest has no account to do it with,
    and only authors delete their own comments in the studio)."""
    comment = get_object_or_404(
        Comment.objects.select_related("generation"),
        pk=comment_pk,
        author__isnull=True,
        generation__in=changeable_generations(request.user),
    )
    generation = comment.generation
    with transaction.atomic():
        moment = f" at {comment.moment_label}" if comment.moment_label else ""
        AuditEntry.record(
            "comment_deleted",
            actor=request.user,
            video=generation,
            detail=f"a guest's comment ({comment.guest_name}){moment}: {comment.body[:80]}",
        )
        comment.delete()
    if getattr(request, "htmx", False):
        return HttpResponse("")  # the comment's element is swapped for nothing
    messages.success(request, "Comment deleted.")
    return redirect(generation.get_absolute_url() + "#comments")
