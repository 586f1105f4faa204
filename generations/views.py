import json
import re
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseStopPolling
from django_htmx.middleware import HtmxDetails

from billing.ledger import CapExceeded, TooFast, refusal_for
from billing.models import AuditEntry
from lib.media import serve_file

from . import gallery, slots, wording
from .access import (
    changeable_generations,
    get_for_changing,
    get_for_viewing,
    own_generations,
    visible_generations,
    watcher,
)
from .forms import FirstFramePreviewForm, GenerationForm
from .models import ACTIVE_STATUSES, Generation, poll_rows
from .polling import POLL_LIMIT
from .video_page import kept_video_page
from .zips import ready_videos, zip_response

COMPARE_MAX = 4


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def index(request: HtmxHttpRequest) -> HttpResponse:
    base = own_generations(request.user).in_gallery()
    if request.GET.get("counts"):
        # Asked by the page once shown: the filters' counts and the number of videos.
        version = gallery.own_counts_version(request.user)
        counts = gallery.gallery_counts(request, base, version)
        return render(
            request,
            "generations/_filters.html#counts",
            {"counts": counts, "facets": counts.facets, "f": counts.filterset.form},
        )
    if request.htmx and request.GET.get("page"):
        # "Load more": the next cards and the next link
        page = gallery.gallery_page(request, base)
        context = {"gallery": page, "page": page.page}
        return render(request, "generations/_gallery_cards.html#more", context)
    action = reverse("generations:index")
    version = gallery.own_counts_version(request.user)
    sections = gallery.gallery_sections(request, base, version, action)
    return render(request, "generations/index.html", {"sections": sections})


def create(request: HttpRequest) -> HttpResponse:
    source = _source(request, request.POST.get("made_from"))
    if request.method == "POST":
        form = GenerationForm(request.POST, request.FILES, source=source, owner=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                jobs, is_new = Generation.objects.create_takes(
                    request.user,
                    data,
                    first_frame=data.get("first_frame"),
                    takes=data["takes"],
                    made_from=source,
                )
            except CapExceeded:
                form.add_error(None, refusal_for(request.user, data))
            except TooFast as refusal:
                form.add_error(None, refusal.message)
            else:
                form.forget_chosen_frame()
                if not is_new:
                    messages.info(
                        request,
                        "You had already started this video, so we did not start it twice.",
                    )
                if len(jobs) > 1:
                    # The last take always belongs to the group; the first may be an earlier
                    # job with the same settings that the repeat guard handed back.
                    return redirect("generations:takes", pk=jobs[-1].pk)
                return redirect(jobs[0])
        form.keep_chosen_frame()
    else:
        form = GenerationForm(initial={"client_token": uuid.uuid4()}, owner=request.user)
    return render(request, "generations/create.html", {"form": form, "source": source})


def make_another(request: HttpRequest, pk) -> HttpResponse:
    source = get_for_viewing(request, pk)
    form = GenerationForm.like(source, client_token=uuid.uuid4())
    return render(request, "generations/create.html", {"form": form, "source": source})


def _source(request: HttpRequest, pk) -> Generation | None:
    try:
        return visible_generations(request.user).filter(pk=uuid.UUID(str(pk))).first()
    except ValueError:
        return None


def first_frame_preview(request: HttpRequest) -> JsonResponse:
    """Check a first frame as soon as it is chosen: keep it, and show how it fits the format.
    Answers JSON (also for refusals, with the sentence to show next to the field)."""
    form = FirstFramePreviewForm(request.POST or None, request.FILES or None, owner=request.user)
    if not form.is_valid():
        return JsonResponse({"ok": False, "error": form.first_error()})
    return JsonResponse({"ok": True, **form.preview()})


def detail(request: HttpRequest, pk) -> HttpResponse:
    return render(request, "generations/detail.html", kept_video_page(request, pk))


def takes(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_viewing(request, pk)
    group = [generation]
    if generation.take_group:
        group = list(
            gallery.as_cards(visible_generations(request.user), request.user)
            .filter(take_group=generation.take_group)
            .order_by("take_number")
        )
    return render(request, "generations/takes.html", {"generation": generation, "group": group})


def compare(request: HttpRequest) -> HttpResponse:
    ids = _ids(request.GET)[:COMPARE_MAX]
    chosen = gallery.with_stars(visible_generations(request.user), request.user).filter(pk__in=ids)
    videos = sorted((g for g in chosen if g.is_ready), key=lambda g: ids.index(g.pk))
    if len(videos) < 2:
        messages.info(request, "Pick 2 to 4 ready videos to compare them side by side.")
        return redirect("generations:index")
    return render(request, "generations/compare.html", {"videos": videos, "ids": ids})


def download_zip(request: HttpRequest) -> HttpResponseBase:
    ready = ready_videos(visible_generations(request.user).filter(pk__in=_ids(request.GET)))
    if not ready:
        messages.info(request, "Pick at least one ready video to download.")
        return redirect("generations:index")
    response = zip_response(ready, request)
    if response.status_code == 200:  # not a refusal past the person's streams
        noun = "video" if len(ready) == 1 else "videos"
        AuditEntry.record(
            "downloaded_zip", actor=request.user, videos=ready, detail=f"{len(ready)} {noun}"
        )
    return response


@require_POST
def star(request: HtmxHttpRequest, pk) -> HttpResponse:
    generation = get_for_viewing(request, pk)
    starred = request.POST.get("starred") == "1"
    generation.set_star_for(request.user, starred)
    if request.htmx:
        return render(
            request,
            "generations/_star.html",
            {"generation": generation, "starred": starred},
        )
    return _back(request, generation.get_absolute_url())


def selection(request: HttpRequest) -> HttpResponse:
    """One form for what a selection of cards can do: favourite, move to the Trash, restore."""
    if request.method != "POST":
        return redirect("generations:index")
    action = request.POST.get("action")
    ids = _ids(request.POST)
    if action in ("star", "unstar"):
        done = (
            visible_generations(request.user)
            .filter(pk__in=ids)
            .star_for(request.user, action == "star")
        )
        messages.success(request, f"{'Starred' if action == 'star' else 'Unstarred'} {done}.")
    elif action == "trash":
        trashed, running = (
            changeable_generations(request.user).filter(pk__in=ids).trash_for(request.user)
        )
        if trashed:
            _tell_trashed(request, trashed, running)
        elif running:
            messages.error(request, "Videos still being made cannot be moved to the Trash.")
    elif action == "restore":
        done = changeable_generations(request.user).filter(pk__in=ids).restore_for(request.user)
        messages.success(request, f"Restored {done} video{'s' if done != 1 else ''}.")
    return _back(request, reverse("generations:index"))


def trash(request: HttpRequest) -> HttpResponse:
    rows = changeable_generations(request.user).in_trash().order_by("-trashed_at")
    page = Paginator(rows, gallery.PAGE_SIZE).get_page(request.GET.get("page"))
    keep_days = settings.TRASH_KEEP_DAYS
    return render(request, "generations/trash.html", {"page": page, "keep_days": keep_days})


@require_POST
def restore(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if generation.restore_for(request.user):
        messages.success(request, "Restored to the gallery.")
    return _back(request, generation.get_absolute_url())


def delete_forever(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if not generation.in_trash:
        messages.info(request, "Move the video to the Trash first.")
        return redirect(generation)
    if request.method == "POST":
        if generation.delete_for(request.user):
            messages.success(request, "Deleted for good, with its files.")
        return redirect("generations:trash")
    return render(request, "generations/delete_forever.html", {"generation": generation})


def _ids(data) -> list[uuid.UUID]:
    ids = []
    for value in data.getlist("ids")[:500]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return ids


def _tell_trashed(request: HttpRequest, pks: list, skipped: int = 0) -> None:
    count = len(pks)
    text = "Moved to the Trash." if count == 1 else f"Moved {count} videos to the Trash."
    if skipped:
        text += f" {skipped} still being made stayed in the gallery."
    messages.success(request, text, extra_tags="undo:" + ",".join(str(pk) for pk in pks))


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = fallback
    return redirect(target)


def status(request: HtmxHttpRequest, pk) -> HttpResponse:
    generation = get_for_viewing(request, pk)
    if not request.htmx:
        return detail(request, pk)
    template = "_card.html" if request.GET.get("view") == "card" else "detail.html#status"
    if template == "_card.html":
        generation.is_starred = generation.is_starred_by(request.user)  # type: ignore[attr-defined]
    response = render(request, f"generations/{template}", {"generation": generation})
    if not generation.is_active:
        # The fragment carries no trigger any more; 286 also stops the old element.
        response.status_code = HttpResponseStopPolling.status_code
    return response


POLL_PARTIALS = {"card": "generations/_card.html", "status": "generations/detail.html#status"}
# A waiting job's place in the queue is its own polled line inside its card or status: the
# place moves each time a slot frees, and that should not redraw the whole card.
WAIT_LINES = {"wait-card": "card", "wait-status": "status"}


def poll(request: HttpRequest) -> HttpResponse:
    """The page's one poll, sent by htmx from base.html's poller: every running job the page
    shows (`v`, view.id.version triples) and the jobs its header counts (`watch`). The answer
    holds out-of-band swaps for the cards whose version changed and for the header when its
    jobs changed; jobs that ended or left the page come as events after the swap. Most polls
    find nothing changed: they cost one light query, and only changed jobs are read in full.
    Once nothing on the page or in the header runs, it answers 286 and htmx stops."""
    seen = poll_request(request.GET.getlist("v"))
    watched = _watched(request.GET.get("watch", ""))
    viewer = watcher(request.user)
    found = poll_rows([*seen, *watched], running_of=request.user.pk)
    rows = {row.pk: row for row in found if viewer(row.owner_id, row.seen_by_team)}
    running = [
        row.pk for row in found if row.owner_id == request.user.pk and row.status in ACTIVE_STATUSES
    ]
    changed = [
        pk
        for pk, views in seen.items()
        if pk in rows
        and any(
            view in POLL_PARTIALS and version != _version_for(view, rows[pk])
            for view, version in views
        )
    ]
    places_shown = any(view in WAIT_LINES for views in seen.values() for view, _ in views)
    if places_shown or any(rows[pk].waits_for_slot for pk in changed):
        slots.draw_with_recent_plan(request)
    fragments: dict[str, str] = {}
    if changed:
        jobs = gallery.as_cards(Generation.objects.filter(pk__in=changed), request.user)
        for generation in jobs:
            if not viewer(generation.owner_id, generation.seen_by_team):
                continue  # unshared a moment ago: the next poll says it is gone
            for view, version in seen[generation.pk]:
                if view in POLL_PARTIALS and version != _version_for(view, generation):
                    html = render_to_string(
                        POLL_PARTIALS[view], {"generation": generation}, request
                    )
                    fragments[f"{view}-{generation.pk}"] = html  # the id of what it replaces
    if places_shown:
        fragments.update(_moved_places(seen, rows, fragments))
    if set(running) != set(watched):
        fragments["jobs-indicator"] = render_to_string(
            "generations/_jobs_indicator.html", {"running_jobs": running}, request
        )
    events: dict[str, list] = {}
    ended = _ended(watched, rows)
    if ended:
        events["veostudio:ended"] = ended
    # Jobs the page shows that the person may no longer see (unshared, deleted): the page
    # drops them. Only ids the page sent come back, so this tells nobody anything new.
    gone = [f"{view}-{pk}" for pk, views in seen.items() if pk not in rows for view, _ in views]
    if gone:
        events["veostudio:gone"] = gone
    response = HttpResponse("".join(_out_of_band(html) for html in fragments.values()))
    if events:
        # After the swap, so that what listens (notify.js, team.js) sees the fresh cards.
        response["HX-Trigger-After-Swap"] = json.dumps(events)
    still_running = running or any(rows[pk].status in ACTIVE_STATUSES for pk in seen if pk in rows)
    if not still_running:
        # The poller is not swapped (hx-swap="none"), so nothing brings its trigger back.
        response.status_code = HttpResponseStopPolling.status_code
    return response


def _watched(value: str) -> list[uuid.UUID]:
    """The header's job ids, space-separated; anything malformed is ignored."""
    watched = []
    for token in value.split()[:50]:
        try:
            watched.append(uuid.UUID(token))
        except ValueError:
            continue
    return watched


def _ended(watched, rows) -> list[dict[str, str]]:
    """How the header's jobs that ended did, for the tab title and a notification. Read in
    full only when one ended, a few times per job: most polls find none."""
    ended_ids = [pk for pk in watched if pk in rows and rows[pk].status not in ACTIVE_STATUSES]
    if not ended_ids:
        return []
    jobs = Generation.objects.filter(pk__in=ended_ids).only(
        "pk", "prompt", "status", "failure_reason"
    )
    return [
        {
            "id": str(job.pk),
            "status": job.status,
            "title": wording.job_ended_title(job),
            "body": wording.job_ended_body(job),
            "url": job.get_absolute_url(),
        }
        for job in jobs
    ]


_FIRST_TAG = re.compile(r"<([a-zA-Z][\w-]*)")


def _out_of_band(html: str) -> str:
    """A fragment marked to replace the element of its id wherever it is in the page. Done
    here, not in the templates: finished cards come from a cache shared with the pages."""
    return _FIRST_TAG.sub(r'<\1 hx-swap-oob="true"', html, count=1)


def _version_for(view: str, job) -> int:
    """A card shows less than the status part of a video's page (no time so far), so its
    version changes less often. `job` is a Generation or a PollRow."""
    return job.card_version if view == "card" else job.poll_version


def _moved_places(seen, rows, redrawn) -> dict[str, str]:
    """The place lines whose number moved, each drawn alone; a line inside a card or status
    redrawn above is already fresh."""
    lines: dict[str, str] = {}
    for pk, views in seen.items():
        for view, shown in views:
            if view not in WAIT_LINES or pk not in rows:
                continue
            if f"{WAIT_LINES[view]}-{pk}" in redrawn:
                continue
            ahead = slots.recent_places().get(pk) if rows[pk].waits_for_slot else None
            if ahead != shown:
                context = slots.wait_line_context(
                    Generation(pk=pk),
                    WAIT_LINES[view],
                    ahead,
                    strong=WAIT_LINES[view] == "status",
                    placeholder=True,
                )
                lines[f"{view}-{pk}"] = render_to_string("billing/_slot_wait.html", context)
    return lines


def poll_request(values: list[str]) -> dict[uuid.UUID, list[tuple[str, int]]]:
    """Parse `view.id.version` triples, space-separated in one value as poll.js sends them
    (one short parameter: no percent-escapes to undo, no list of parameters to build), or
    `view:id:version`, one per value; anything malformed is ignored, not an error."""
    seen: dict[uuid.UUID, list[tuple[str, int]]] = {}
    tokens = [token for value in values for token in value.split()]
    for token in tokens[:POLL_LIMIT]:
        parts = token.replace(":", ".").split(".")
        if len(parts) != 3:
            continue
        view, pk, version = parts
        if view not in POLL_PARTIALS and view not in WAIT_LINES:
            continue
        try:
            key, number = uuid.UUID(pk), int(version)
        except ValueError:
            continue
        seen.setdefault(key, []).append((view, number))
    return seen


def video(request: HttpRequest, pk) -> HttpResponseBase:
    return _serve(request, pk, "video", "video/mp4")


def download(request: HttpRequest, pk) -> HttpResponseBase:
    response = _serve(request, pk, "video", "video/mp4", as_attachment=True)
    # Once per download, not per range request of a resumed one; a 302 hands it to S3.
    if response.status_code in (200, 302) and "Range" not in request.headers:
        generation = get_for_viewing(request, pk)
        owner = generation.owner if generation.owner_id != request.user.pk else None
        AuditEntry.record("downloaded", actor=request.user, subject=owner, video=generation)
    return response


def poster(request: HttpRequest, pk) -> HttpResponseBase:
    return _serve(request, pk, "poster", "image/jpeg")


def first_frame(request: HttpRequest, pk) -> HttpResponseBase:
    return _serve(request, pk, "first_frame_thumbnail", "image/jpeg")


def _serve(request, pk, field: str, content_type: str, as_attachment=False) -> HttpResponseBase:
    generation = get_for_viewing(request, pk)
    stored = getattr(generation, field)
    if not stored or (field == "video" and not generation.is_ready):
        raise Http404("Nothing stored here yet")
    name = generation.download_name if as_attachment else None
    return serve_file(request, stored, content_type, attachment_name=name)


@require_POST
def cancel(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if generation.cancel_for(request.user):
        messages.success(request, "Cancelled. It was never sent, so nothing was charged.")
    else:
        messages.info(request, "This video is already being sent; you can stop waiting for it.")
    return redirect(generation)


@require_POST
def stop(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    if generation.stop_for(request.user):
        messages.warning(
            request,
            "Stopped waiting. CometAPI may still make this video and charge for it, so its "
            "cost stays reserved until an admin confirms whether it was charged.",
        )
    else:
        messages.info(request, "This video is not running any more.")
    return redirect(generation)


@require_POST
def check_again(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    try:
        if not generation.check_again_for(request.user):
            messages.info(request, "This video is not waiting for a check.")
    except (CapExceeded, TooFast) as refusal:
        messages.error(request, refusal.message)
    return redirect(generation)


@require_POST
def submit_again(request: HttpRequest, pk) -> HttpResponse:
    generation = get_for_changing(request, pk)
    try:
        if generation.submit_again_for(request.user):
            messages.info(request, "Sent again. This starts a new paid job at CometAPI.")
    except (CapExceeded, TooFast) as refusal:
        messages.error(request, refusal.message)
    return redirect(generation)


@require_POST
def delete(request: HttpRequest, pk) -> HttpResponse:
    """Delete moves to the Trash at once; the message carries "Undo"."""
    generation = get_for_changing(request, pk)
    if not generation.trash_for(request.user):
        if generation.in_trash:
            return redirect("generations:trash")
        messages.error(request, "This video is still being made; you can delete it when it ends.")
        return redirect(generation)
    _tell_trashed(request, [generation.pk])
    return _back(request, reverse("generations:index"))


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers and the admin ask for /favicon.ico by that name.
    return redirect(static("favicon.ico"), permanent=True)
