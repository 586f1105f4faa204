"""The page's one poll (base.html's poller asks it every few seconds; its numbers are in
polling.py)."""

import base64
import functools
import json
import re
import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.template.loader import render_to_string
from django_htmx.http import HttpResponseStopPolling

from .. import gallery, slots, wording
from ..access import get_for_viewing, watcher, watches
from ..models import (
    ACTIVE_STATUS_VALUES,
    Generation,
    PollRow,
    RunningJobs,
    poll_rows,
    waits_for_slot,
)
from ..notifications import unread_count
from ..polling import POLL_LIMIT, POLL_VIEW_LETTERS, WATCHED_LETTER
from ..team_views import team_context
from .common import HtmxHttpRequest

POLL_PARTIALS = {
    "card": "generations/_card.html",
    "status": "generations/detail.html#status",
    # A running job's History grows with each step ("Sent to CometAPI", "Rendering started").
    "history": "generations/detail.html#history",
}
# A waiting job's place in the queue is its own polled line inside its card or status: the
# place moves each time a slot frees, and that should not redraw the whole card.
WAIT_LINES = {"wait-card": "card", "wait-status": "status"}
# A job's id as 32 hex digits (poll.js sends it so) or as the page writes it; the poll
# keeps it as hex.
_ID = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
# Tokens apart by "_" (poll.js) or spaces; one not whole between them is no token.
_APART, _END = r"(?<![^ _])", r"(?![^ _])"
_VIEW = "|".join(map(re.escape, [*POLL_PARTIALS, *WAIT_LINES]))
_TOKEN = re.compile(rf"{_APART}({_VIEW})[.:]({_ID})[.:](-?[0-9]+){_END}")
_WATCHED = re.compile(rf"{_APART}{_ID}{_END}")
# The compact form poll.js sends in `jobs` (polling.POLL_VIEW_LETTERS): each job once, apart
# by ".": its id's 16 bytes in base64url (22 characters), then what the page shows of it,
# each part a letter and the version shown in base 36 ("cZ3K9W": the card, that version),
# and "w" when the header counts it. Nothing in it is escaped: 24 running cards ask in
# some 750 characters, where a token per part and the header's ids apart took 1,984.
_LETTER_VIEW = {letter: view for view, letter in POLL_VIEW_LETTERS.items()}
_LETTERS = "".join(_LETTER_VIEW)
_PART = re.compile(rf"([{_LETTERS}])(-?[0-9A-Z]+)|{WATCHED_LETTER}")
_JOB = re.compile(rf"([A-Za-z0-9_-]{{22}})((?:[{_LETTERS}]-?[0-9A-Z]+|{WATCHED_LETTER})+)")

# What the page shows of each job: its id as 32 hex digits, and the (view, version) pairs.
Seen = Mapping[str, tuple[tuple[str, int], ...]]


class PollQuery(NamedTuple):
    """What a poll asks, read from its query string. Shared between the requests that send
    the same string, so nothing in it may be changed."""

    seen: Seen
    watched: tuple[str, ...]  # the header's jobs
    places_shown: bool  # whether the page shows a place in the queue
    waiting: str | None  # the header's number of jobs waiting for a slot
    bell: str | None  # the bell's number, now and then
    comments: str | None  # on a video's page whose comments are shared: its id
    comments_version: str | None


# A page polls with the same query string until something on it changes, and reading the
# string (its 24 cards' ids and versions, some 750 characters) cost a tenth of
# the poll's CPU (bench/profile_cold.py --only status): each process reads it once. The key
# is the whole string; an entry holds a few kilobytes.
@functools.lru_cache(maxsize=256)
def poll_query(query_string: str) -> PollQuery:
    """The poll's query string (the WSGI environ's, as request.GET reads it) parsed."""
    params = QueryDict(query_string.encode("iso-8859-1"))
    seen, watched = poll_request(params.getlist("v"), params.get("jobs", ""))
    return PollQuery(
        seen=seen,
        watched=tuple(dict.fromkeys([*_watched(params.get("watch", "")), *watched]))[:50],
        places_shown=any(view in WAIT_LINES for views in seen.values() for view, _ in views),
        waiting=params.get("waiting"),
        bell=params.get("bell"),
        comments=params.get("comments"),
        comments_version=params.get("comments_version"),
    )


def poll(request: HtmxHttpRequest) -> HttpResponse:
    """The page's one poll, sent by htmx from base.html's poller: in `jobs`, each running
    job the page shows or its header counts, once, with what the page shows of it and
    whether the header counts it (see _JOB), now and then the bell's number (`bell`), and
    on a video's page whose comments are shared the list's version (`comments`,
    `comments_version`). The answer holds out-of-band swaps
    of what changed: cards, the header's jobs, the bell, the comments; jobs that ended or
    left the page come as events after the swap. Most polls find nothing changed: one
    read, no template, and only changed jobs are read in full. A poll that carried jobs
    none of which runs any more answers 286 (htmx stops that pace, poll.js goes idle); an
    idle poll that finds nothing answers 204."""
    asked = poll_query(request.META.get("QUERY_STRING", ""))
    seen, watched = asked.seen, asked.watched
    user_pk = request.user.pk
    found = poll_rows([*seen, *watched], running_of=user_pk)
    viewer = watcher(request.user)
    rows: dict[str, PollRow] = {}
    mine_running = []
    waiting = 0  # the header's jobs waiting for a slot
    for row in found:
        if row.owner_id == user_pk:
            rows[row.key] = row
            if row.status in ACTIVE_STATUS_VALUES:
                mine_running.append(row)
                waiting += waits_for_slot(row.status, row.submit_started_at)
        elif watches(viewer, row):
            rows[row.key] = row
    changed = [key for key, views in seen.items() if key in rows and _shows_old(views, rows[key])]
    places_shown = asked.places_shown
    if places_shown or any(rows[key].waits_for_slot for key in changed):
        slots.draw_with_recent_plan(request)
    fragments: dict[str, str] = {}
    if changed:
        fragments.update(_redrawn(request, seen, changed, viewer))
    if places_shown:
        fragments.update(_moved_places(seen, rows, fragments))
    if {row.key for row in mine_running} != set(watched) or waiting != _waiting_shown(
        asked.waiting, waiting
    ):
        running = RunningJobs.of(
            (row.key, row.status, row.submit_started_at) for row in mine_running
        )
        fragments["jobs-indicator"] = render_to_string(
            "generations/_jobs_indicator.html", {"running_jobs": running}, request
        )
    if asked.bell is not None:
        fragments.update(_bell(request, asked.bell))
    events: dict[str, list] = {}
    ended = _ended(watched, rows)
    if ended:
        events["veostudio:ended"] = ended
    # Jobs the page shows that the person may no longer see (unshared, deleted): the page
    # drops them. Only ids the page sent come back, so this tells nobody anything new.
    gone = [
        f"{view}-{_dashed(key)}"
        for key, views in seen.items()
        if key not in rows
        for view, _ in views
    ]
    if asked.comments is not None:
        comments = _comment_list(request, asked.comments, asked.comments_version)
        if comments is None:
            gone.append("comment-list")
        else:
            fragments.update(comments)
    if gone:
        events["veostudio:gone"] = gone
    response = HttpResponse("".join(_out_of_band(html) for html in fragments.values()))
    if events:
        # After the swap, so that what listens (notify.js, team.js) sees the fresh cards.
        response["HX-Trigger-After-Swap"] = json.dumps(events)
    if seen or watched:
        still_running = mine_running or any(
            rows[key].status in ACTIVE_STATUS_VALUES for key in seen if key in rows
        )
        if not still_running:
            # The poller is not swapped (hx-swap="none"), so nothing brings its trigger back:
            # poll.js puts an idle poller in its place.
            response.status_code = HttpResponseStopPolling.status_code
    elif not fragments and not events:
        response.status_code = 204  # an idle poll that found nothing: htmx swaps nothing
    # The header itself, as django-htmx's `request.htmx` reads it: that builds every
    # header of the request first, a tenth of what this poll costs on its own.
    if request.META.get("HTTP_HX_REQUEST") == "true":
        _as_fragment(response)
    return response


def _as_fragment(response: HttpResponse) -> None:
    """Leave out the headers only a document heeds (its Content-Security-Policy and
    X-Frame-Options): a browser applies neither to what a script fetches, and this answer
    goes to htmx's request every few seconds from every open tab. Asked as a document (no
    HX-Request header: a link, a frame) it keeps them all."""
    response._csp_config = {}  # type: ignore[attr-defined]  # as Django's csp_override({})
    response.xframe_options_exempt = True


def _redrawn(request, seen, changed, viewer) -> dict[str, str]:
    """The changed jobs' parts the page shows, read in full and drawn again."""
    fragments: dict[str, str] = {}
    jobs = gallery.as_cards(Generation.objects.filter(pk__in=changed), request.user)
    for generation in jobs:
        if not watches(viewer, generation):
            continue  # unshared a moment ago: the next poll says it is gone
        for view, version in seen[generation.pk.hex]:
            if view in POLL_PARTIALS and version != _version_for(view, generation):
                html = render_to_string(POLL_PARTIALS[view], {"generation": generation}, request)
                fragments[f"{view}-{generation.pk}"] = html  # the id of what it replaces
    return fragments


def _bell(request: HttpRequest, shown: str) -> dict[str, str]:
    """The header's bell, when its number is not the one the page shows."""
    count = unread_count(request.user)
    if shown == str(count):
        return {}
    return {"inbox-bell": render_to_string("inbox/_bell.html", {"inbox_unread": count}, request)}


def _comment_list(
    request: HttpRequest, video_id: str, shown_version: str | None
) -> dict[str, str] | None:
    """A video page's comments when they changed since the version the page shows; None
    when the person may not see the video (any more): the same door as the comments'
    own URL, so the poll shows no list that URL would refuse."""
    try:
        generation = get_for_viewing(request, uuid.UUID(video_id))
    except (ValueError, Http404):
        return None
    context = {"generation": generation, **team_context(generation)}
    if shown_version == context["comments_version"]:
        return {}
    return {"comment-list": render_to_string("generations/_comments.html#list", context, request)}


def _watched(value: str) -> list[str]:
    """The header's job ids (at most 50, as it shows), apart by "_" or spaces, as 32 hex
    digits; anything malformed is ignored."""
    return [token.replace("-", "").lower() for token in _WATCHED.findall(value)[:50]]


def _waiting_shown(value: str | None, waiting: int) -> int:
    """How many of the header's jobs the page shows as waiting for a slot (poll.js sends
    the pill's number, so a job leaving the queue for CometAPI redraws the pill); a client
    that does not say is taken to show the right number."""
    if value is None:
        return waiting
    return int(value) if value.isdigit() else -1


def _ended(watched, rows) -> list[dict[str, str]]:
    """How the header's jobs that ended did, for the tab title and a notification. Read in
    full only when one ended, a few times per job: most polls find none."""
    ended_ids = [
        key for key in watched if key in rows and rows[key].status not in ACTIVE_STATUS_VALUES
    ]
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


def _shows_old(views: tuple[tuple[str, int], ...], row: PollRow) -> bool:
    """Whether the page shows a part of the job (a card, a video page's status or history)
    of another version than the row's now."""
    for view, version in views:  # a loop, not any(): this runs for every job on every poll
        if view in POLL_PARTIALS and version != _version_for(view, row):
            return True
    return False


def _version_for(view: str, job) -> int:
    """A card shows less than the status part of a video's page (no time so far), so its
    version changes less often. `job` is a Generation or a PollRow."""
    return job.card_version if view == "card" else job.poll_version


def _dashed(key: str) -> str:
    """A job's id as the page writes it (its elements' ids), from its 32 hex digits."""
    return str(uuid.UUID(hex=key))


def _moved_places(seen, rows, redrawn) -> dict[str, str]:
    """The place lines whose number moved, each drawn alone; a line inside a card or status
    redrawn above is already fresh."""
    lines: dict[str, str] = {}
    for key, views in seen.items():
        for view, shown in views:
            if view not in WAIT_LINES or key not in rows:
                continue
            pk = uuid.UUID(hex=key)
            if f"{WAIT_LINES[view]}-{pk}" in redrawn:
                continue
            ahead = slots.recent_places().get(pk) if rows[key].waits_for_slot else None
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


def poll_request(values: list[str], jobs: str = "") -> tuple[Seen, list[str]]:
    """What the page shows of each job, by its id's 32 hex digits, and the header's jobs
    among them. Read from the compact form poll.js sends (`jobs`, see _JOB), and from
    `view:id:version` triples in `values`, one per value or apart by spaces, as the page
    writes them (or `view.id.version` apart by "_", as a page opened before the compact
    form still sends them). At most POLL_LIMIT parts are read; anything malformed is
    ignored, not an error."""
    tokens: list[tuple[str, str, int]] = [
        (view, pk.replace("-", "").lower(), int(version))
        for value in values
        for view, pk, version in _TOKEN.findall(value)
    ]
    watched: list[str] = []
    for job in jobs.split("."):
        found = _JOB.fullmatch(job)
        if not found:
            continue
        key = base64.urlsafe_b64decode(found[1] + "==").hex()
        for letter, version in _PART.findall(found[2]):
            if letter:
                tokens.append((_LETTER_VIEW[letter], key, int(version, 36)))
            else:
                watched.append(key)
    seen: dict[str, list[tuple[str, int]]] = {}
    for view, key, version in tokens[:POLL_LIMIT]:
        seen.setdefault(key, []).append((view, version))
    return MappingProxyType({key: tuple(views) for key, views in seen.items()}), watched
