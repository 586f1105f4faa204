"""The guest's side of a review link (`/l/<token>/…`): no account, no studio.

Every view here is reached through `guest_door`, which finds the link by its token's hash,
checks it is live (and, for anything but the page itself, that the password was given in
this session), and answers anything else with the same plain "This link is no longer
available" page and a 404: a made-up token, an expired, a revoked one and a video not in
the link read alike. The guest is never logged in: what the session holds for a link (the
password given, the name they chose, a random visitor id) opens nothing in the studio.
"""

import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from billing.models import AuditEntry
from generations.drawings import clean_drawing
from generations.forms import CommentForm
from generations.models import Comment, Generation, NotificationKind, ReviewStatus
from generations.notifications import notify
from generations.zips import ready_videos, zip_response
from lib.lockout import client_ip
from lib.media import serve_file

from .models import GuestComment, ReviewLink

SESSION_KEY = "review_links"
GUEST_NAME_MAX_LENGTH = 60
# A guest's comment is shorter than a teammate's (2,000): a client's note on a moment.
GUEST_COMMENT_MAX_LENGTH = 1000
# Wrong passwords, per link and address, in a window: enough for typos, far too few to
# guess. Counted in the cache (see `_password_tries`).
PASSWORD_TRIES = 5
PASSWORD_WINDOW_SECONDS = 15 * 60
# Comments one visitor may post through a link a minute, and all guests of a link an hour.
COMMENTS_PER_MINUTE = 5
COMMENTS_PER_LINK_HOUR = 60
DECISIONS = {"approved": ReviewStatus.APPROVED, "changes": ReviewStatus.CHANGES}


class Gone(Exception):
    """Whatever the reason, the guest reads the same page."""


def gone(request: HttpRequest) -> HttpResponseBase:
    return _guarded(render(request, "reviewlinks/gone.html", status=404))


def _guarded(response: HttpResponseBase) -> HttpResponseBase:
    """The headers every answer through a link carries (the studio's CSP is added by its
    middleware): never indexed, never telling a page the link's address."""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    if not response.has_header("Cache-Control"):
        add_never_cache_headers(response)
    return response


def guest_door(*, unlocked: bool = True, post_only: bool = False) -> Callable:
    """The one door of every guest view: `view(request, link, state, **kwargs)` runs only
    for a live link (and, with `unlocked`, one whose password this session gave). An
    action (`post_only`) asked with GET reads as gone too: no answer but 404 differs."""

    def decorate(view):
        @csrf_exempt  # the form key below instead: see `_form_key_matches`
        @login_not_required
        @wraps(view)
        def wrapper(request: HttpRequest, token: str, **kwargs) -> HttpResponseBase:
            link = ReviewLink.find_by_token(token)
            if link is None or not link.is_live or (post_only and request.method != "POST"):
                return gone(request)
            state = _state(request, link)
            if not state.get("visitor"):
                state["visitor"] = secrets.token_hex(8)  # whom the comment rate limit counts
                state["form_key"] = secrets.token_urlsafe(24)
                _save(request, link, state)
            if request.method == "POST" and not _form_key_matches(request, state):
                return _guarded(_stale_form(request, link, state, token))
            if unlocked and link.has_password and not state.get("unlocked"):
                return gone(request)
            try:
                response = view(request, link, state, token=token, **kwargs)
            except (Gone, Http404):
                return gone(request)
            if response.status_code == 429 and view.__name__ != "page":
                response = _busy(request, response)  # the studio's page names the studio
            return _guarded(response)

        return wrapper

    return decorate


def _form_key_matches(request: HttpRequest, state: dict) -> bool:
    """The guest's forms carry a key kept in their session for this link (a synchronizer
    token), in place of Django's CSRF check: these pages send `Referrer-Policy:
    no-referrer`, with which browsers send `Origin: null` on a form, and Django's check
    refuses that. A page of another site cannot read the key, so it cannot post for the
    guest; and without the link's token it could not name the link anyway."""
    sent = request.POST.get("form_key", "")
    return bool(sent) and constant_time_compare(sent, state.get("form_key", ""))


def _stale_form(request: HttpRequest, link: ReviewLink, state: dict, token: str):
    if link.has_password and not state.get("unlocked"):
        context = {
            "link": link,
            "error": "Please enter the password again.",
            "form_key": state["form_key"],
        }
        return render(request, "reviewlinks/password.html", context, status=403)
    state["error"] = "The page was out of date. Please try again."
    _save(request, link, state)
    return _back(token)


def _busy(request: HttpRequest, refused: HttpResponseBase) -> HttpResponseBase:
    """lib/media's refusal past the bound on streams, in the guest's look."""
    response = render(request, "reviewlinks/busy.html", status=429)
    response["Retry-After"] = refused.get("Retry-After", "10")
    return response


def _state(request: HttpRequest, link: ReviewLink) -> dict:
    """What this session knows of this link (the dict is saved back by `_save`)."""
    links = request.session.get(SESSION_KEY, {})
    return dict(links.get(str(link.pk), {}))


def _save(request: HttpRequest, link: ReviewLink, state: dict) -> None:
    links = dict(request.session.get(SESSION_KEY, {}))
    links[str(link.pk)] = state
    request.session[SESSION_KEY] = links


def _video(link: ReviewLink, pk) -> Generation:
    video = link.video_served(pk)
    if video is None:
        raise Gone
    return video


# --- the page ------------------------------------------------------------------------------


@guest_door(unlocked=False)
def page(request: HttpRequest, link: ReviewLink, state: dict, token: str) -> HttpResponse:
    if link.has_password and not state.get("unlocked"):
        return _password_page(request, link, state, token)
    link.note_visit(first=not state.get("seen"))
    state["seen"] = True
    videos = list(link.videos_served())
    if not videos and link.project_id is None:
        raise Gone  # every video it named was taken away: nothing is left to show
    comments: dict = {video.pk: [] for video in videos}
    shown = (
        Comment.objects.filter(guest_link__link=link, generation__in=videos)
        .only("pk", "generation_id", "guest_name", "body", "at_seconds", "created_at", "drawing")
        .order_by("created_at", "pk")
    )
    for comment in shown:
        comments[comment.generation_id].append(comment)
    entries = [
        {"video": video, "comments": comments[video.pk], "number": number}
        for number, video in enumerate(videos, start=1)
    ]
    context = {
        "link": link,
        "token": token,
        "entries": entries,
        "guest_name": state.get("name", ""),
        "comment_max": GUEST_COMMENT_MAX_LENGTH,
        "name_max": GUEST_NAME_MAX_LENGTH,
        "error": state.pop("error", ""),
        "error_video": state.pop("error_video", ""),
        "kept_body": state.pop("kept_body", ""),
        "kept_at": state.pop("kept_at", ""),
        "kept_drawing": state.pop("kept_drawing", ""),
        "notice": state.pop("notice", ""),
        "notice_video": state.pop("notice_video", ""),
        "form_key": state["form_key"],
    }
    _save(request, link, state)
    return render(request, "reviewlinks/guest.html", context)


def _password_page(request, link: ReviewLink, state: dict, token: str) -> HttpResponse:
    error = ""
    status = 200
    if request.method == "POST":
        key = _password_key(request, link)
        if _password_tries(key) >= PASSWORD_TRIES:
            error = "Too many wrong passwords. Please wait 15 minutes and try again."
            status = 429
        elif link.check_password(request.POST.get("password", "")):
            cache.delete(key)
            state["unlocked"] = True
            _save(request, link, state)
            request.session.cycle_key()  # a new session id now that it opens the link
            return redirect("reviewlinks:guest", token=token)
        else:
            tries = _count_wrong_password(key)
            left = PASSWORD_TRIES - tries
            error = "That password is not right."
            if left <= 2:
                error += f" {left} more {'try' if left == 1 else 'tries'}, then a 15-minute pause."
            status = 403
    context = {"link": link, "error": error, "form_key": state["form_key"]}
    response = render(request, "reviewlinks/password.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(PASSWORD_WINDOW_SECONDS)
    return response


# The counter lives in the cache: it only has to slow guessing down for a while, it may be
# lost on a restart (the worst case is a fresh five tries), and it costs no database write
# per try. The cache is each web process's own (LocMemCache), so with WEB_PROCESSES=2 a
# guesser gets at most 2 × 5 tries per 15 minutes per address, after having to know a
# 256-bit token first; a shared cache (Redis) would make it exactly 5.
def _password_key(request: HttpRequest, link: ReviewLink) -> str:
    return f"reviewlinks:password:{link.pk}:{client_ip(request)}"


def _password_tries(key: str) -> int:
    return int(cache.get(key, 0))


def _count_wrong_password(key: str) -> int:
    if cache.add(key, 1, PASSWORD_WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, PASSWORD_WINDOW_SECONDS)
        return 1


# --- the guest's words -----------------------------------------------------------------------


def _back(token: str, video: Generation | None = None) -> HttpResponse:
    response = redirect("reviewlinks:guest", token=token)
    if video is not None:
        response["Location"] += f"#video-{video.pk}"
    return response


@guest_door(post_only=True)
def guest_name(request: HttpRequest, link: ReviewLink, state: dict, token: str) -> HttpResponse:
    if not link.allow_feedback:
        raise Gone
    name = " ".join(request.POST.get("name", "").split())
    if not name:
        state["error"] = "Please write your name first."
    elif len(name) > GUEST_NAME_MAX_LENGTH:
        state["error"] = f"Please keep your name under {GUEST_NAME_MAX_LENGTH} characters."
    else:
        state["name"] = name
    _save(request, link, state)
    return _back(token)


@guest_door(post_only=True)
def comment(request: HttpRequest, link: ReviewLink, state: dict, token: str, video) -> HttpResponse:
    if not link.allow_feedback:
        raise Gone
    video = _video(link, video)
    name = state.get("name", "")
    form = CommentForm(request.POST, duration=video.video_duration)
    error = ""
    if not name:
        error = "Please give your name first."
    elif not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    elif len(form.cleaned_data["body"]) > GUEST_COMMENT_MAX_LENGTH:
        length = len(form.cleaned_data["body"])
        error = (
            f"Please keep a comment under {GUEST_COMMENT_MAX_LENGTH} characters (it has {length})."
        )
    elif _too_many_comments(link, state):
        error = "You are commenting very quickly. Please wait a minute and send it again."
    if error:
        state.update(
            error=error,
            error_video=str(video.pk),
            kept_body=request.POST.get("body", "")[:GUEST_COMMENT_MAX_LENGTH],
            kept_at=request.POST.get("at", "")[:16],
            # linksplus: the drawing is kept too, so a fixed comment loses nothing.
            kept_drawing=_kept_drawing(request.POST.get("drawing", "")),
        )
        _save(request, link, state)
        return _back(token, video)
    with transaction.atomic():
        written = Comment.objects.create(
            generation=video,
            author=None,
            guest_name=name,
            body=form.cleaned_data["body"],
            at_seconds=form.cleaned_data["at"],
            drawing=form.cleaned_data["drawing"],
        )
        GuestComment.objects.create(comment=written, link=link, visitor=state["visitor"])
        moment = f" at {written.moment_label}" if written.at_seconds is not None else ""
        if written.drawing:
            moment += " (with a drawing)"
        AuditEntry.record(
            "guest_commented",
            username=f"{name} (guest)",
            subject=video.owner,
            detail=f"{name} via link “{link.name}”{moment}: {written.body}",
            video=video,
        )
        notify(
            link.owners_to_tell(video),
            NotificationKind.GUEST,
            f"{name} (guest via link “{link.name}”) commented{moment} on "
            f"“{video.display_title}”: {written.body}",
            generation=video,
            actor_name=f"{name} (guest)",
            url=written.moment_link,  # the studio's page opens it at its moment
        )
    state.update(notice="Thank you: your comment was sent to the team.", notice_video=str(video.pk))
    _save(request, link, state)
    return _back(token, video)


def _kept_drawing(text: str) -> str:
    """A refused comment's drawing, to offer again: only when it reads as a drawing (the
    session keeps nothing it could not show)."""
    try:
        return json.dumps(clean_drawing(text), separators=(",", ":")) if text else ""
    except ValidationError:
        return ""


def _too_many_comments(link: ReviewLink, state: dict) -> bool:
    now = timezone.now()
    recent = GuestComment.objects.filter(link=link)
    mine = recent.filter(
        visitor=state.get("visitor", ""), created_at__gte=now - timedelta(minutes=1)
    )
    return (
        mine.count() >= COMMENTS_PER_MINUTE
        or recent.filter(created_at__gte=now - timedelta(hours=1)).count() >= COMMENTS_PER_LINK_HOUR
    )


@guest_door(post_only=True)
def decide(request: HttpRequest, link: ReviewLink, state: dict, token: str, video) -> HttpResponse:
    if not link.allow_feedback:
        raise Gone
    video = _video(link, video)
    name = state.get("name", "")
    status = DECISIONS.get(request.POST.get("decision", ""))
    if not name or status is None:
        state.update(error="Please give your name first.", error_video=str(video.pk))
        _save(request, link, state)
        return _back(token, video)
    with transaction.atomic():
        changed = video.decide_for(None, status, guest_name=name)
        if changed:
            AuditEntry.record(
                "guest_decided",
                username=f"{name} (guest)",
                subject=video.owner,
                detail=f"{name} via link “{link.name}”: {status.label}",
                video=video,
            )
            notify(
                link.owners_to_tell(video),
                NotificationKind.GUEST,
                f"{name} (guest via link “{link.name}”): {status.label} on “{video.display_title}”",
                generation=video,
                actor_name=f"{name} (guest)",
            )
    state["notice_video"] = str(video.pk)
    state["notice"] = (
        "Thank you: you approved it."
        if status == ReviewStatus.APPROVED
        else "Thank you: the team will see that you asked for changes."
    )
    _save(request, link, state)
    return _back(token, video)


def _guest_label(state: dict) -> str:
    return f"{state['name']} (guest)" if state.get("name") else "a guest"


# --- files -----------------------------------------------------------------------------------


def _streamer(request: HttpRequest, link: ReviewLink) -> None:
    # lib/media bounds the streams one person holds; a guest is counted per link and
    # address, so one link's visitors cannot hold every thread of a web process.
    request.media_streamer = ("review-link", link.pk, client_ip(request))  # type: ignore[attr-defined]


@guest_door()
def video_file(request, link: ReviewLink, state: dict, token: str, video) -> HttpResponseBase:
    video = _video(link, video)
    _streamer(request, link)
    return serve_file(request, video.video, "video/mp4")


@guest_door()
def poster(request, link: ReviewLink, state: dict, token: str, video) -> HttpResponseBase:
    video = _video(link, video)
    if not video.poster:
        raise Gone
    return serve_file(request, video.poster, "image/jpeg")


@guest_door()
def download(request, link: ReviewLink, state: dict, token: str, video) -> HttpResponseBase:
    if not link.allow_download:
        raise Gone
    video = _video(link, video)
    _streamer(request, link)
    response = serve_file(request, video.video, "video/mp4", attachment_name=video.download_name)
    if response.status_code in (200, 302) and "Range" not in request.headers:
        AuditEntry.record(
            "guest_downloaded",
            username=_guest_label(state),
            subject=video.owner,
            detail=f"through link “{link.name}”",
            video=video,
        )
    return response


@guest_door()
def download_zip(request, link: ReviewLink, state: dict, token: str) -> HttpResponseBase:
    if not link.allow_download:
        raise Gone
    ready = ready_videos(link.videos_served())
    if not ready:
        raise Gone
    _streamer(request, link)
    response = zip_response(ready, request)
    if response.status_code == 200:
        AuditEntry.record(
            "guest_downloaded_zip",
            username=_guest_label(state),
            detail=f"through link “{link.name}”",
            videos=ready,
        )
    return response
