"""The team's side of the studio: sharing, comments, the Team view, and the studio setting
that decides whether new videos start shared (the admins' Settings page). Access goes
through generations.access like every other view."""

import uuid
from datetime import timedelta
from typing import cast

import django_filters
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from billing.models import AuditEntry, StudioSettings
from lib.prepared import Prepared

from . import gallery, notifications, wording
from .access import (
    admin_required,
    changeable_generations,
    get_comment_for_changing,
    get_comment_for_resolving,
    get_for_changing,
    get_for_viewing,
    members_only,
    people_who_see,
    team_generations,
    team_to,
)
from .forms import CommentForm, StudioSettingsForm
from .models import Comment, Generation


def team_context(generation: Generation, form: CommentForm | None = None) -> dict:
    """What a video's page needs for its comments and its share control."""
    return {
        "comments": generation.comments.select_related("author", "resolved_by"),
        "comments_version": generation.comments.version(),
        "comment_form": form or CommentForm(duration=generation.video_duration),
    }


def _back(request: HttpRequest, fallback) -> HttpResponse:
    wanted = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return redirect(wanted)
    return redirect(fallback)


@require_POST
def share(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if generation.share_for(request.user):
        notifications.tell_shared(generation, request.user)
    return _share_answer(request, generation, "Shared with the team.")


@require_POST
def unshare(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    generation.unshare_for(request.user)
    return _share_answer(request, generation, "Unshared: only you can see this video now.")


def _share_answer(request: HttpRequest, generation: Generation, done: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        response = render(request, "generations/_share.html", {"generation": generation})
        # The page's comments are polled for, or no longer, with the video's sharing.
        response["HX-Trigger"] = "team:sharing-changed"
        return response
    messages.success(request, done)
    return _back(request, generation)


@require_POST
@members_only
def share_many(request: HttpRequest) -> HttpResponse:
    """Share or unshare a selection; videos that are not the person's own are left alone."""
    action = request.POST.get("action")
    ids = []
    for value in request.POST.getlist("ids"):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    chosen = changeable_generations(request.user).filter(pk__in=ids)
    if action not in ("share", "unshare") or not ids:
        messages.info(request, "Pick one or more of your videos first.")
        return _back(request, "generations:index")
    changed = 0
    for generation in chosen:
        if action == "share":
            shared = generation.share_for(request.user)
            if shared:
                notifications.tell_shared(generation, request.user)
            changed += shared
        else:
            changed += generation.unshare_for(request.user)
    noun = "video" if changed == 1 else "videos"
    if action == "share":
        messages.success(request, f"Shared {changed} {noun} with the team.")
    else:
        messages.success(request, f"Unshared {changed} {noun}.")
    return _back(request, "generations:index")


def comments(request: HttpRequest, pk) -> HttpResponse:
    """GET: the list (the page asks for it when the video's sharing changed; the page's
    poll brings it when a comment changed, views/poll.py). POST: a new comment."""
    generation = get_for_viewing(request, pk)
    is_htmx = bool(getattr(request, "htmx", False))
    if request.method == "POST":
        form = CommentForm(request.POST, duration=generation.video_duration)
        too_fast = form.is_valid() and _too_many_comments(request.user)
        if too_fast:
            form.add_error(None, COMMENTS_TOO_FAST)  # the typed text stays in the form
        if form.is_valid():
            comment = Comment.objects.create(
                generation=generation,
                author=cast(User, request.user),
                body=form.cleaned_data["body"],
                at_seconds=form.cleaned_data["at"],
                drawing=form.cleaned_data["drawing"],
            )
            notifications.tell_about_comment(comment)
            if not is_htmx:
                return redirect(generation.get_absolute_url() + "#comments")
            form = CommentForm(duration=generation.video_duration)  # empty, for the next one
        context = {"generation": generation, **team_context(generation, form)}
        if not is_htmx:
            status = 429 if too_fast else 400
            return render(request, "generations/detail.html", context, status=status)
        return render(request, "generations/_comments.html", context)
    if not is_htmx:
        return redirect(generation.get_absolute_url() + "#comments")
    context = {"generation": generation, **team_context(generation)}
    return render(request, "generations/_comments.html#list", context)


# A person may post this many comments a minute: enough for a lively discussion, too few
# for a script (or a stuck key) to bury a video's page.
COMMENTS_PER_MINUTE = 6
COMMENTS_TOO_FAST = (
    "You are commenting very quickly. Please wait a minute and press Comment again; "
    "your text is still here."
)


def _too_many_comments(person) -> bool:
    since = timezone.now() - timedelta(minutes=1)
    recent = Comment.objects.filter(author=person, created_at__gte=since).count()
    return recent >= COMMENTS_PER_MINUTE


def comment_edit(request: HttpRequest, pk, comment_pk) -> HttpResponse:
    comment = get_comment_for_changing(request, pk, comment_pk)
    generation = comment.generation
    is_htmx = bool(getattr(request, "htmx", False))
    if request.method == "POST":
        form = CommentForm(request.POST, duration=generation.video_duration)
        if "cancel" not in request.POST and form.is_valid():
            was = comment.body
            comment.edit(form.cleaned_data["body"], form.cleaned_data["at"])
            notifications.tell_about_comment(comment, was=was)
        if "cancel" in request.POST or form.is_valid():
            if is_htmx:
                return render(
                    request,
                    "generations/_comment.html",
                    {"comment": comment, "generation": generation},
                )
            return redirect(generation.get_absolute_url() + f"#comment-{comment.pk}")
    else:
        at = comment.moment_label if comment.at_seconds is not None else ""
        form = CommentForm(initial={"body": comment.body, "at": at})
    template = "_comment_edit.html" if is_htmx else "comment_edit.html"
    return render(
        request,
        f"generations/{template}",
        {"comment": comment, "generation": generation, "form": form},
    )


@require_POST
def comment_delete(request: HttpRequest, pk, comment_pk) -> HttpResponse:
    comment = get_comment_for_changing(request, pk, comment_pk)
    generation = comment.generation
    with transaction.atomic():
        moment = f" at {comment.moment_label}" if comment.moment_label else ""
        AuditEntry.record(
            "comment_deleted",
            actor=request.user,
            subject=generation.owner,  # whose video it was on; the actor is its author
            video=generation,
            detail=f"a comment{moment}: {comment.body[:80]}",
        )
        notifications.forget_comment(comment)
        comment.delete()
    if getattr(request, "htmx", False):
        return HttpResponse("")  # the comment's element is swapped for nothing
    messages.success(request, "Comment deleted.")
    return redirect(generation.get_absolute_url() + "#comments")


@require_POST
def comment_resolve(request: HttpRequest, pk, comment_pk) -> HttpResponse:
    """Resolve (or, with reopen=1, reopen) a comment: its author, the video's owner, admins."""
    comment = get_comment_for_resolving(request, pk, comment_pk)
    if request.POST.get("reopen") == "1":
        comment.reopen_for(request.user)
    else:
        comment.resolve_for(request.user)
    generation = comment.generation
    if getattr(request, "htmx", False):
        context = {"comment": comment, "generation": generation}
        return render(request, "generations/_comment.html", context)
    return redirect(generation.get_absolute_url() + f"#comment-{comment.pk}")


# How many names the @ suggestions offer at once: a short list to read on a phone.
SUGGESTIONS_MAX = 8


def mention_suggestions(request: HttpRequest, pk) -> HttpResponse:
    """The people whose names start with `q` (username or full name) among those who see
    the video, for the comment box's @ list: 404 for a video the asker may not see."""
    generation = get_for_viewing(request, pk)
    typed = request.GET.get("q", "").strip().lstrip("@")[:150]
    people = people_who_see(generation).exclude(pk=request.user.pk)
    if typed:
        people = people.filter(
            Q(username__istartswith=typed)
            | Q(first_name__istartswith=typed)
            | Q(last_name__istartswith=typed)
        )
    found = [
        {"username": p.get_username(), "name": wording.person_name(p)}
        for p in people.order_by("username")[:SUGGESTIONS_MAX]
    ]
    return JsonResponse({"people": found})


class TeamFilter(gallery.GalleryFilter):
    """The gallery's filters and a person (whose videos, among what the team shared)."""

    # Its clause is the gallery's (gallery.clause_parts): prepared pages know it too.
    person = django_filters.NumberFilter(method="apply", label="Person")

    def extra_facets(self):
        # A studio is a small team: one count per person, from the gallery's one query.
        people = PEOPLE.objects()
        wanted = self.form.cleaned_data.get("person") if self.form.is_valid() else None
        if wanted is not None and all(p.pk != wanted for p in people):
            people += list(get_user_model().objects.filter(pk=wanted))
        choices = {
            str(p.pk): gallery.Choice(str(p.pk), _person_label(p), "owner_id", frozenset({p.pk}))
            for p in people
        }
        if wanted is not None and str(wanted) not in choices:
            # Nobody by that number: a choice that finds nothing, counted as such.
            choices[str(wanted)] = gallery.Choice(
                str(wanted), "Nobody", "owner_id", frozenset({wanted})
            )
        return {"person": ("Person", choices), **super().extra_facets()}


PEOPLE_MAX = 200
# The Person filter's people, from a query built once per process (prepared.py).
PEOPLE = Prepared(lambda: get_user_model().objects.order_by("username")[:PEOPLE_MAX])


def _person_label(user) -> str:
    name = wording.person_name(user)
    return name if user.is_active else f"{name} (no longer in the studio)"


# A page of the Team's list (team_generations(person).in_gallery()) from a query built
# once per shape of its filters (gallery.PreparedPages), the rule's projects as a subquery.
TEAM_PAGES = gallery.PreparedPages(
    lambda pk: Generation.objects.filter(team_to(pk)).in_gallery(), TeamFilter
)


def team(request: HttpRequest) -> HttpResponse:
    """Everything shared with the team, with each maker's name: the gallery's search,
    filters, sort and compare, plus a person."""

    def base():
        return team_generations(request.user).in_gallery()

    if request.GET.get("counts"):
        version = gallery.team_counts_version(request.user)
        counts = gallery.gallery_counts(request, base(), version, TeamFilter)
        return render(
            request,
            "generations/_filters.html#counts",
            {"counts": counts, "facets": counts.facets, "f": counts.filterset.form},
        )
    if getattr(request, "htmx", False) and request.GET.get("page"):
        page = gallery.gallery_page(request, base, filterset_class=TeamFilter, prepared=TEAM_PAGES)
        context = {"gallery": page, "page": page.page}
        return render(request, "generations/_gallery_cards.html#more", context)
    action = reverse("generations:team")
    version = gallery.team_counts_version(request.user)
    # The list is built only when TEAM_PAGES does not answer, and never for a reload.
    sections = gallery.gallery_sections(
        request, base, version, action, TeamFilter, prepared=TEAM_PAGES
    )
    return render(request, "generations/team.html", {"sections": sections})


@admin_required
def studio_settings(request: HttpRequest) -> HttpResponse:
    """The admins' Settings page: whether a new video starts shared with the team."""
    current = StudioSettings.load()
    if request.method == "POST":
        form = StudioSettingsForm(request.POST, instance=current)
        if form.is_valid():
            saved = form.save(commit=False)
            saved.updated_by = request.user
            # Only this page's field: billing's settings on the same row are not written back.
            saved.save(update_fields=["share_new_videos", "updated_by", "updated_at"])
            messages.success(request, "Studio settings saved.")
            return redirect("generations:studio_settings")
    else:
        form = StudioSettingsForm(instance=current)
    return render(request, "generations/studio_settings.html", {"form": form})
